/**
 * Synthetic calls for `npm run bench:cdr`, built from the recorded 9999 call
 * (../shared/fixtures/freeswitch/esl/call-json.txt): the channel events of that call a
 * Switchplane with ESL_NODES subscribes to (those its channel tracker and AI agent take), with a Unique-ID derived from the run and the call's index
 * (so the bench process can rebuild the same CDRs for its ceiling), a bench tenant's accountcode,
 * SIP domain and extension, and every fourth call outbound through the tenant's trunk (`sip_gateway_name`
 * = the trunk's id) to an E.164 number.
 */
import { CHANNEL_EVENTS } from '../../src/esl/channels.js';
import { AGENT_EVENTS } from '../../src/media/agent-calls.js';
import { recordedEvents, type JsonEvent } from '../../test/helpers/esl-server.js';

export interface BenchTenant {
  id: string;
  domain: string;
  trunkId: string;
}

/** Extensions 1001.. of every bench tenant. */
export const EXTENSIONS_PER_TENANT = 10;

const RECORDED = recordedEvents('call-json.txt');
const CALL_UUID = RECORDED.find((e) => e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE')!['Unique-ID'];
const SUBSCRIBED = new Set<string>([...CHANNEL_EVENTS, ...AGENT_EVENTS].filter((e) => !e.includes('::')));
/** The recorded call's subscribed events, in order (CHANNEL_CREATE ... CHANNEL_HANGUP_COMPLETE). */
export const CALL_EVENTS = RECORDED.filter((e) => e['Unique-ID'] === CALL_UUID && SUBSCRIBED.has(e['Event-Name'] as string));

/** With BENCH_RATE, the sender sends the calls due every this many ms (./esl-sender.ts). */
export const TICK_MS = 10;

/** Every fourth call goes out through its tenant's trunk. */
export const isOutbound = (index: number) => index % 4 === 3;

/** The Unique-ID of call `index` of the run `run` (8 hex digits). */
export const callUuid = (run: string, index: number) => `${run}-0000-4000-8000-${index.toString(16).padStart(12, '0')}`;

/**
 * A builder of the run's calls. It fills the same event objects for every call (building ~200-header
 * objects anew costs the sender more than serialising them): send or read a call's events before
 * building the next one. `nowUs` stamps `Event-Date-Timestamp` (epoch µs; the sender stamps each
 * hangup again as it writes it).
 */
export function callBuilder(run: string, tenants: readonly BenchTenant[]): (index: number, nowUs: number) => JsonEvent[] {
  // Every header a call sets is in both templates from the start, so filling them keeps each object's shape.
  const template = (outbound: boolean) =>
    CALL_EVENTS.map((e): JsonEvent => ({
      ...e,
      variable_accountcode: '',
      variable_domain_name: '',
      variable_switchplane_direction: outbound ? 'outbound' : 'internal',
      ...(outbound ? { variable_sip_gateway_name: '', 'Caller-Destination-Number': '+15550100199' } : {}),
    }));
  const internal = template(false);
  const outbound = template(true);
  return (index, nowUs) => {
    const uuid = callUuid(run, index);
    const tenant = tenants[index % tenants.length]!;
    const out = isOutbound(index);
    const events = out ? outbound : internal;
    const user = String(1001 + (Math.floor(index / tenants.length) % EXTENSIONS_PER_TENANT));
    for (const e of events) {
      e['Unique-ID'] = e['Channel-Call-UUID'] = e['Caller-Unique-ID'] = e.variable_uuid = e.variable_call_uuid = uuid;
      e.variable_accountcode = tenant.id;
      e.variable_domain_name = tenant.domain;
      e.variable_user_name = user;
      e['Event-Date-Timestamp'] = String(nowUs);
      if (out) e.variable_sip_gateway_name = tenant.trunkId;
    }
    return events;
  };
}
