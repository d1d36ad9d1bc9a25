/**
 * One CDR per call leg, read from what FreeSWITCH reports when the leg is done: the
 * `CHANNEL_HANGUP_COMPLETE` event (switch_core_state_machine.c; it carries every channel
 * variable as `variable_<name>`) or a mod_json_cdr document (mod_json_cdr.c: `variables`,
 * URL-encoded, and `callflow[].caller_profile`). Both give the same `CdrRecord`, so whichever
 * arrives second finds the row already there (src/cdr/writer.ts).
 *
 * A record is plain JSON: it is what the spool keeps on disk until its row is committed. The
 * tenant, trunk and extension are resolved in the database when the row is written, from the
 * hints kept here (accountcode, SIP domain, DID, gateway name, directory user). It also names the
 * FreeSWITCH node that reported it (its `core-uuid`, and the event socket's node name), which
 * both reports of one leg share.
 */
import type { EslEvent } from '../esl/connection.js';
import { ChannelEvent } from '../esl/channel-event.js';
import { fromMicroseconds } from '../esl/events.js';
import { toE164 } from '../domain/numbers.js';
import { CHANNEL_VARS, INBOUND_CONTEXT } from '../freeswitch/vocabulary.js';
import { dispositionOf } from '../domain/cdr-disposition.js';
import type { CallType, CdrDirection, CdrRecord } from '../domain/cdrs.js';

const int = (v: string | undefined): number => {
  const n = Number(v);
  return Number.isFinite(n) ? Math.max(0, Math.trunc(n)) : 0;
};

function sipStatusOf(vars: Record<string, string>): number | null {
  const text = vars.sip_term_status ?? /^sip:(\d{3})$/.exec(vars.proto_specific_hangup_cause ?? '')?.[1];
  const n = Number(text);
  return Number.isInteger(n) && n >= 100 && n <= 699 ? n : null;
}

function directionOf(vars: Record<string, string>, context: string | undefined): CdrDirection {
  const exported = vars[CHANNEL_VARS.direction];
  if (exported === 'inbound' || exported === 'outbound' || exported === 'internal') return exported;
  if (context === INBOUND_CONTEXT) return 'inbound';
  return vars.sip_gateway_name ? 'outbound' : 'internal';
}

function callTypeOf(vars: Record<string, string>): CallType {
  if (vars[CHANNEL_VARS.aiProfile]) return 'ai_voice';
  // Every transfer (uuid_transfer, a dialplan `transfer`) appends to transfer_history; the
  // click-to-call originate transfers its first leg too, and says so.
  if (vars.transfer_history && !vars[CHANNEL_VARS.clickToCall]) return 'transfer';
  return 'voice';
}

const iso = (d: Date | undefined): string | null => (d ? d.toISOString() : null);

/**
 * The CDR of one leg from its `CHANNEL_HANGUP_COMPLETE` event.
 * @param node the ESL_NODES name of the event socket it came by (null: not from an event socket)
 * @returns null when the event has no `Unique-ID` (not a channel event)
 */
export function cdrFromEvent(event: EslEvent, node: string | null = null, now: () => number = Date.now): CdrRecord | null {
  const channel = ChannelEvent.parse(event);
  if (!channel) return null;
  const vars = { ...channel.variables };
  const context = channel.context;
  const destination = channel.destination ?? null;
  const start = fromMicroseconds(vars.start_uepoch) ?? channel.createdAt;
  const answer = fromMicroseconds(vars.answer_uepoch) ?? channel.answeredAt;
  const end = fromMicroseconds(vars.end_uepoch) ?? channel.hungUpAt;
  const reported = channel.eventAt;
  const hangupCause = vars.hangup_cause ?? channel.hangupCause ?? null;
  return {
    uniqueId: channel.uniqueId,
    otherLegUniqueId: channel.otherLeg ?? vars.bridge_uuid ?? vars.originator ?? null,
    accountcode: vars.accountcode ?? null,
    domain: vars.domain_name?.toLowerCase() ?? null,
    did: vars[CHANNEL_VARS.did] ?? (context === INBOUND_CONTEXT && destination ? toE164(destination) : null),
    direction: directionOf(vars, context),
    callType: callTypeOf(vars),
    callerNumber: channel.callerNumber ?? null,
    callerName: channel.callerName ?? null,
    // A call to an AI number keeps its DID as the called number after the agent transfers it
    // (the transfer's destination, an extension, becomes Caller-Destination-Number).
    calledNumber: vars[CHANNEL_VARS.did] ?? destination,
    calledName: channel.calleeName ?? null,
    startAt: (start ?? end ?? reported ?? new Date(now())).toISOString(),
    answerAt: iso(answer),
    endAt: iso(end),
    durationSeconds: int(vars.duration),
    billsec: int(vars.billsec),
    hangupCause,
    sipStatus: sipStatusOf(vars),
    disposition: dispositionOf(answer !== undefined, hangupCause ?? undefined, vars.sip_hangup_disposition),
    gateway: vars.sip_gateway_name ?? vars.sip_gateway ?? null,
    extension: (channel.direction === 'outbound' ? vars.dialed_user ?? vars.user_name : vars.user_name ?? vars.dialed_user) ?? null,
    recordingUrl: vars[CHANNEL_VARS.recordingPath] ?? null,
    metadata: vars,
    reportedAtMs: reported?.getTime() ?? now(),
    coreUuid: channel.coreUuid ?? null,
    node,
  };
}

/** A mod_json_cdr document (`encode-values` URL-encodes every variable). */
export interface JsonCdrDocument {
  /** The reporting FreeSWITCH's core-uuid (not URL-encoded). */
  'core-uuid'?: unknown;
  variables?: Record<string, unknown>;
  callflow?: Array<{ caller_profile?: Record<string, unknown>; times?: Record<string, unknown> }> | { caller_profile?: Record<string, unknown> };
  channel_data?: Record<string, unknown>;
}

/**
 * A json_cdr value, URL-decoded. A `%00` would decode to NUL, which PostgreSQL text and jsonb
 * cannot hold (SQLSTATE 22P05); FreeSWITCH's own values are C strings and never carry one, so
 * it is dropped.
 */
function decode(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value);
  try {
    return decodeURIComponent(text).replaceAll('\u0000', '');
  } catch {
    return text.replaceAll('\u0000', ''); // not encoded after all (`encode-values=false`) and holds a bare %
  }
}

/**
 * The CDR of one leg from a mod_json_cdr post: its variables become `variable_*` headers and the
 * current callflow's caller profile the `Caller-*` headers of the equivalent event, so both paths
 * read the leg the same way.
 * @returns null when the document has no `uuid` variable
 */
export function cdrFromJsonCdr(doc: JsonCdrDocument, now: () => number = Date.now): CdrRecord | null {
  const event: Record<string, string> = {};
  for (const [key, value] of Object.entries(doc.variables ?? {})) {
    const text = decode(value);
    if (text !== undefined) event[`variable_${key}`] = text;
  }
  const flows = Array.isArray(doc.callflow) ? doc.callflow : doc.callflow ? [doc.callflow] : [];
  // Newest profile first (switch_channel_set_caller_profile links the previous one as `next`),
  // which is the profile the hangup event's Caller-* headers come from.
  const profile = flows[0]?.caller_profile ?? {};
  const header = (name: string, value: unknown) => {
    const text = decode(value);
    if (text) event[name] = text;
  };
  header('Unique-ID', event.variable_uuid);
  header('Core-UUID', doc['core-uuid']);
  header('Call-Direction', event.variable_direction);
  header('Caller-Caller-ID-Number', profile.caller_id_number);
  header('Caller-Caller-ID-Name', profile.caller_id_name);
  header('Caller-Destination-Number', profile.destination_number);
  header('Caller-Callee-ID-Name', profile.callee_id_name);
  header('Caller-Context', profile.context);
  header('Hangup-Cause', event.variable_hangup_cause);
  // The post is made after hangup; its end time is the closest thing to "when it was reported".
  header('Event-Date-Timestamp', event.variable_end_uepoch);
  return cdrFromEvent(event, null, now);
}
