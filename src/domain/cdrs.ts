/**
 * A CDR record (one per call leg; parsed from FreeSWITCH's reports in src/cdr/records.ts) and
 * writing CDR records as `cdrs` rows, as the ingest role (sql/006_ingest_role.sql), in one
 * statement per batch: the records travel as one jsonb array, and the database resolves each
 * one's tenant (accountcode = tenant id, else the SIP domain, else the DID), trunk (gateway name
 * = trunk id, of that tenant), extension (directory user or number, of that tenant) and AI
 * session (by call id). A `Unique-ID` already stored is not written twice: the second report of
 * a leg (ESL and mod_json_cdr) only fills fields the first left empty. Trunk counters
 * (`total_calls`, `successful_calls` = answered, `failed_calls` = disposition FAILED) grow only
 * for rows inserted. A record with no tenant goes to `unattributed_cdrs` with the reason.
 *
 * A stored CDR keeps its tenant and its node (sql/010_cdr_node.sql): a record of a stored
 * `Unique-ID` that resolves to another tenant, or comes from another FreeSWITCH (another
 * `core-uuid`), leaves the row as it is and is kept in `unattributed_cdrs` with the reason, and
 * returned as `refused` with both sides, for the caller to log and count. A row stored before
 * core-uuids were recorded takes the core-uuid of the next report of its own tenant.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Disposition } from './cdr-disposition.js';

export type CdrDirection = 'inbound' | 'outbound' | 'internal';
export type CallType = 'voice' | 'ai_voice' | 'transfer';

export interface CdrRecord {
  /** The leg's `Unique-ID`. */
  uniqueId: string;
  /** The bridged or originating leg's `Unique-ID` (`Other-Leg-Unique-ID`, `bridge_uuid`, `originator`). */
  otherLegUniqueId: string | null;
  /** `accountcode`: the tenant id, exported by the dialplan and set by the directory. */
  accountcode: string | null;
  /** `domain_name`: the tenant's SIP domain. */
  domain: string | null;
  /** The DID (E.164) of a call from a trunk. */
  did: string | null;
  direction: CdrDirection;
  callType: CallType;
  callerNumber: string | null;
  callerName: string | null;
  calledNumber: string | null;
  calledName: string | null;
  /** ISO 8601 UTC, from `start_uepoch` / `answer_uepoch` (null when unanswered) / `end_uepoch`. */
  startAt: string;
  answerAt: string | null;
  endAt: string | null;
  /** FreeSWITCH's `duration` (start to end) and `billsec` (answer to end), whole seconds. */
  durationSeconds: number;
  billsec: number;
  hangupCause: string | null;
  /** Final SIP status: `sip_term_status`, else the code in `proto_specific_hangup_cause` (`sip:486`). */
  sipStatus: number | null;
  disposition: Disposition;
  /** `sip_gateway_name` (outbound through a gateway) or `sip_gateway`: a trunk id. */
  gateway: string | null;
  /**
   * The tenant's directory user on this leg: for a leg from a phone (`Call-Direction` inbound)
   * the user that authenticated (`user_name`), for a leg to a phone the user dialled
   * (`dialed_user`, which the `user/` endpoint also sets on the calling leg).
   */
  extension: string | null;
  /** `switchplane_recording_path`, set by the dialplan when the extension records calls. */
  recordingUrl: string | null;
  /** Every channel variable, without the `variable_` prefix. */
  metadata: Record<string, string>;
  /** When FreeSWITCH reported the hangup (`Event-Date-Timestamp`), epoch milliseconds. */
  reportedAtMs: number;
  /**
   * The reporting FreeSWITCH's `core-uuid`, new at each start of FreeSWITCH (switch_core.c): the
   * `Core-UUID` header of every event (switch_event.c), the top-level `core-uuid` of a mod_json_cdr
   * document (switch_ivr.c `switch_ivr_generate_json_cdr`). Absent from records spooled by an older
   * Switchplane, which read it as null.
   */
  coreUuid?: string | null;
  /** The ESL_NODES name of the event socket the event came by; null for a mod_json_cdr post. */
  node?: string | null;
}

/** Who a CDR belongs to and which FreeSWITCH reported it. */
export interface CdrOwner {
  tenantId: string | null;
  /** FreeSWITCH's core-uuid. */
  coreUuid: string | null;
  /** The ESL_NODES name, when an event socket reported it. */
  node: string | null;
}

/** Why a record of a stored `Unique-ID` was refused: it names another tenant, or another FreeSWITCH. */
export type CdrConflictReason = 'tenant' | 'node';

export interface WrittenRow {
  uniqueId: string;
  /**
   * inserted: a new row; merged: the leg was already stored; unattributed: kept without a tenant;
   * rejected: refused by the database, kept in unattributed_cdrs with the reason; refused: the
   * leg is stored for another tenant or node, the record is kept in unattributed_cdrs.
   */
  result: 'inserted' | 'merged' | 'unattributed' | 'rejected' | 'refused';
  direction: string | null;
  disposition: string | null;
  durationSeconds: number | null;
  /** For `refused` only: why, the stored row's owner, and the refused record's. */
  conflict?: { reason: CdrConflictReason; stored: CdrOwner; reported: CdrOwner };
}

const UUID = `'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'`;

const asRow = (r: CdrRecord) => ({
  unique_id: r.uniqueId,
  other_leg_unique_id: r.otherLegUniqueId,
  accountcode: r.accountcode,
  domain: r.domain,
  did: r.did,
  direction: r.direction,
  call_type: r.callType,
  caller_number: r.callerNumber,
  caller_name: r.callerName,
  called_number: r.calledNumber,
  called_name: r.calledName,
  start_at: r.startAt,
  answer_at: r.answerAt,
  end_at: r.endAt,
  duration_seconds: r.durationSeconds,
  billsec: r.billsec,
  hangup_cause: r.hangupCause,
  sip_status: r.sipStatus,
  disposition: r.disposition,
  gateway: r.gateway,
  extension: r.extension,
  recording_url: r.recordingUrl,
  metadata: r.metadata,
  core_uuid: r.coreUuid ?? null,
  node: r.node ?? null,
});

interface ResultRow {
  unique_id: string;
  result: WrittenRow['result'];
  direction: string | null;
  disposition: string | null;
  duration_seconds: number | null;
  conflict: CdrConflictReason | null;
  tenant_id: string | null;
  core_uuid: string | null;
  node: string | null;
  stored_tenant_id: string | null;
  stored_core_uuid: string | null;
  stored_node: string | null;
}

/**
 * Writes `records` (distinct Unique-IDs) in one statement.
 * @returns one entry per record, except a record without a tenant already kept in
 *   unattributed_cdrs as it is (a batch written again)
 * @throws the database's error; a data error (SQLSTATE class 22 or 23) fails the whole batch
 */
export async function writeCdrRows(trx: Kysely<Database>, records: CdrRecord[]): Promise<WrittenRow[]> {
  const batch = JSON.stringify(records.map(asRow));
  const { rows } = await sql<ResultRow>`
    with v as (
      select * from jsonb_to_recordset(${batch}::jsonb) as v(
        unique_id text, other_leg_unique_id text, accountcode text, domain text, did text, direction text,
        call_type text, caller_number text, caller_name text, called_number text, called_name text,
        start_at timestamptz, answer_at timestamptz, end_at timestamptz, duration_seconds integer, billsec integer,
        hangup_cause text, sip_status integer, disposition text, gateway text, extension text, recording_url text,
        metadata jsonb, core_uuid text, node text)
    ),
    r as (
      select v.*, coalesce(ta.id, td.id, pn.tenant_id) as tenant_id
      from v
      left join tenants ta on ta.id = case when v.accountcode ~* ${sql.raw(UUID)} then v.accountcode::uuid end
      left join tenants td on td.sip_domain = v.domain
      left join phone_numbers pn on pn.number = v.did
    ),
    ins as (
      insert into cdrs as c (
        tenant_id, unique_id, other_leg_unique_id, direction, call_type, caller_number, caller_name, called_number,
        called_name, start_at, answer_at, end_at, duration_seconds, billsec, hangup_cause, sip_status, disposition,
        trunk_id, extension_id, recording_url, ai_session_id, metadata, core_uuid, node)
      select r.tenant_id, r.unique_id, r.other_leg_unique_id, r.direction, r.call_type, r.caller_number, r.caller_name,
        r.called_number, r.called_name, r.start_at, r.answer_at, r.end_at, r.duration_seconds, r.billsec,
        r.hangup_cause, r.sip_status, r.disposition, tr.id, ex.id, r.recording_url, ai.id, r.metadata, r.core_uuid, r.node
      from r
      left join trunks tr on tr.tenant_id = r.tenant_id
        and tr.id = case when r.gateway ~* ${sql.raw(UUID)} then r.gateway::uuid end
      left join lateral (
        select e.id from extensions e
        where e.tenant_id = r.tenant_id and (e.sip_username = r.extension or e.extension = r.extension)
        order by e.sip_username = r.extension desc limit 1
      ) ex on true
      left join ai_sessions ai on ai.tenant_id = r.tenant_id and ai.call_id = r.unique_id
      where r.tenant_id is not null
      on conflict (unique_id) do update set
        other_leg_unique_id = coalesce(c.other_leg_unique_id, excluded.other_leg_unique_id),
        caller_name = coalesce(c.caller_name, excluded.caller_name),
        called_name = coalesce(c.called_name, excluded.called_name),
        answer_at = coalesce(c.answer_at, excluded.answer_at),
        end_at = coalesce(c.end_at, excluded.end_at),
        hangup_cause = coalesce(c.hangup_cause, excluded.hangup_cause),
        sip_status = coalesce(c.sip_status, excluded.sip_status),
        trunk_id = coalesce(c.trunk_id, excluded.trunk_id),
        extension_id = coalesce(c.extension_id, excluded.extension_id),
        recording_url = coalesce(c.recording_url, excluded.recording_url),
        ai_session_id = coalesce(c.ai_session_id, excluded.ai_session_id),
        metadata = excluded.metadata || c.metadata,
        node = coalesce(c.node, excluded.node),
        core_uuid = coalesce(c.core_uuid, excluded.core_uuid)
      where c.tenant_id = excluded.tenant_id and (c.core_uuid is null or c.core_uuid = excluded.core_uuid)
      returning c.unique_id, c.trunk_id, c.direction, c.disposition, c.duration_seconds, (c.xmax = 0) as inserted
    ),
    orphans as (
      insert into unattributed_cdrs (unique_id, reason, record)
      select r.unique_id, 'no tenant has this accountcode, SIP domain or DID', to_jsonb(v)
      from r join v using (unique_id) where r.tenant_id is null
      on conflict do nothing
      returning unique_id
    ),
    refused as (
      -- Left alone by the upsert's condition; the statement's snapshot still shows the stored row.
      select r.unique_id, r.tenant_id, r.core_uuid, r.node,
        s.tenant_id as stored_tenant_id, s.core_uuid as stored_core_uuid, s.node as stored_node,
        case when s.tenant_id is distinct from r.tenant_id then 'tenant' else 'node' end as conflict
      from r left join cdrs s on s.unique_id = r.unique_id
      where r.tenant_id is not null and not exists (select 1 from ins where ins.unique_id = r.unique_id)
    ),
    kept as (
      insert into unattributed_cdrs (unique_id, reason, record)
      select f.unique_id,
        case f.conflict
          when 'tenant' then format('the Unique-ID is stored for tenant %s; this report is for tenant %s', f.stored_tenant_id, f.tenant_id)
          else format('the Unique-ID was reported by FreeSWITCH core-uuid %s; this report is from %s', coalesce(f.stored_core_uuid, '(none)'), coalesce(f.core_uuid, '(none)'))
        end,
        to_jsonb(v)
      from refused f join v using (unique_id)
      on conflict do nothing
    ),
    counted as (
      update trunks t set
        total_calls = t.total_calls + s.total,
        successful_calls = t.successful_calls + s.answered,
        failed_calls = t.failed_calls + s.failed
      from (
        select trunk_id, count(*) as total,
          count(*) filter (where disposition = 'ANSWERED') as answered,
          count(*) filter (where disposition = 'FAILED') as failed
        from ins where inserted and trunk_id is not null group by trunk_id
      ) s
      where t.id = s.trunk_id
      returning t.id
    )
    select unique_id, case when inserted then 'inserted' else 'merged' end as result, direction, disposition, duration_seconds,
      null::text as conflict, null::uuid as tenant_id, null::text as core_uuid, null::text as node,
      null::uuid as stored_tenant_id, null::text as stored_core_uuid, null::text as stored_node
    from ins
    union all
    select unique_id, 'unattributed', null, null, null, null, null, null, null, null, null, null from orphans
    union all
    select unique_id, 'refused', null, null, null, conflict, tenant_id, core_uuid, node, stored_tenant_id, stored_core_uuid, stored_node from refused
  `.execute(trx);
  return rows.map((row) => ({
    uniqueId: row.unique_id,
    result: row.result,
    direction: row.direction,
    disposition: row.disposition,
    durationSeconds: row.duration_seconds,
    ...(row.conflict && {
      conflict: {
        reason: row.conflict,
        stored: { tenantId: row.stored_tenant_id, coreUuid: row.stored_core_uuid, node: row.stored_node },
        reported: { tenantId: row.tenant_id, coreUuid: row.core_uuid, node: row.node },
      },
    }),
  }));
}

/** Keeps a record the database refused as a row (e.g. a constraint it breaks), with the reason. */
export async function keepRefusedCdr(trx: Kysely<Database>, record: CdrRecord, reason: string): Promise<void> {
  await trx
    .insertInto('unattributed_cdrs')
    .values({ unique_id: record.uniqueId, reason: reason.slice(0, 1000), record: JSON.stringify(record) })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** A data error (SQLSTATE class 22 data exception or 23 integrity violation): retrying will not help. */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23]/.test(code);
}
