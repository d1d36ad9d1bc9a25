/**
 * A customer's AI voice agent sessions as its API reads them (the agent writes them:
 * src/domain/ai-session-writes.ts): the filtered list without transcripts, and one session by id
 * or call id with its transcript and linked CDR. Every function runs in `store.withTenant`, so
 * another customer's session is a NotFoundError.
 */
import { sql, type Kysely, type Selectable, type SqlBool } from 'kysely';
import type { AiSessionsTable, Database } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { NotFoundError } from './errors.js';
import { byIdOrCallId, containsNumber, inRange, paginate, resolveRange, type Page, type PageInput, type Range, type RangeInput } from './record-listing.js';

/** `ai_sessions.sentiment`, as the call analysis rates a conversation. */
export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const satisfies readonly NonNullable<Selectable<AiSessionsTable>['sentiment']>[];

export interface AiSessionFilters extends RangeInput {
  sentiment?: (typeof SENTIMENTS)[number];
  /** Digits contained in the DID or the caller number. */
  number?: string;
  /** The agent profile. */
  agentProfile?: string;
  /** Only sessions this extension took part in (an agent's own; see `withExtension`). */
  ownExtensionId?: string | null;
}

/**
 * The condition: extension `extensionId` took part in session `s`: one of the call's CDR legs
 * (by AI session, call id or other leg) is the extension's, or the AI agent transferred to its number.
 */
const withExtension = (tenantId: string, extensionId: string) => sql<SqlBool>`(
  exists (select 1 from cdrs c where c.tenant_id = ${tenantId} and c.extension_id = ${extensionId}
    and (c.ai_session_id = ${sql.ref('s.id')} or c.unique_id = ${sql.ref('s.call_id')} or c.other_leg_unique_id = ${sql.ref('s.call_id')}))
  or ${sql.ref('s.transfer_target')} in (select e.extension from extensions e where e.tenant_id = ${tenantId} and e.id = ${extensionId}))`;

/** The tenant's sessions matching the filters. */
function matching(trx: Kysely<Database>, tenantId: string, q: AiSessionFilters, range: Range) {
  let query = trx.selectFrom('ai_sessions as s').where('tenant_id', '=', tenantId).where(inRange('started_at', range));
  if (q.ownExtensionId) query = query.where(withExtension(tenantId, q.ownExtensionId));
  if (q.sentiment) query = query.where('sentiment', '=', q.sentiment);
  if (q.agentProfile) query = query.where('agent_profile', '=', q.agentProfile);
  if (q.number) query = query.where(containsNumber(q.number, ['did', 'caller_number']));
  return query;
}

const COLUMNS = [
  'id', 'call_id', 'openai_session_id', 'agent_profile', 'caller_number', 'did', 'started_at', 'ended_at', 'duration_seconds',
  'actions_taken', 'transfer_target', 'transfer_reason', 'failure_reason', 'sentiment', 'satisfaction_score',
] as const;
export type AiSessionRow = Pick<Selectable<AiSessionsTable>, (typeof COLUMNS)[number]>;

/** A page of the matching sessions, newest first, each with its number of transcript entries. @throws NotFoundError `customer`; FieldError `from` */
export function listAiSessions(store: Store, tenantId: string, q: AiSessionFilters & PageInput): Promise<Page<AiSessionRow & { transcript_turns: number }>> {
  return store.withTenant(tenantId, async (trx) => {
    const range = await resolveRange(trx, tenantId, q);
    return paginate(() => matching(trx, tenantId, q, range), q, (m) =>
      m
        .select(COLUMNS)
        .select(sql<number>`jsonb_array_length(transcript)`.as('transcript_turns'))
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc'),
    );
  });
}

/**
 * One session by id or call id, with its transcript and the first CDR linked to it
 * (`cdrs.ai_session_id`; null until the CDR is written). With `ownExtensionId`, a session that
 * extension took no part in is not found (an agent's view).
 * @throws NotFoundError `ai session`
 */
export async function getAiSession(store: Store, tenantId: string, key: string, ownExtensionId: string | null = null) {
  const row = await store.withTenant(tenantId, (trx) =>
    trx
      .selectFrom('ai_sessions as s')
      .select(COLUMNS)
      .select('transcript')
      .select((eb) =>
        eb
          .selectFrom('cdrs as c')
          .select('c.id')
          .where('c.tenant_id', '=', tenantId)
          .whereRef('c.ai_session_id', '=', 's.id')
          .orderBy('c.start_at')
          .orderBy('c.id')
          .limit(1)
          .as('cdr_id'),
      )
      .where('s.tenant_id', '=', tenantId)
      .where(byIdOrCallId('call_id', key))
      .$if(ownExtensionId !== null, (qb) => qb.where(withExtension(tenantId, ownExtensionId!)))
      .executeTakeFirst(),
  );
  if (!row) throw new NotFoundError('ai session');
  return { ...row, cdr_id: row.cdr_id ?? null };
}
