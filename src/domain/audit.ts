/**
 * The audit log: one row per create, update or delete through the API, with who did it (the API
 * key's prefix and name), what, and the record before and after. Secrets never reach it:
 * password, PIN and key columns are replaced by `"[set]"` or left out.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Principal } from './api-keys.js';

const SECRET = /(password|pin|secret|key_hash|_enc|_sealed)$/i;

type Row = Record<string, unknown>;

/** A copy of `row` with secret columns masked: `"[set]"` when they hold a value, else null. */
export function withoutSecrets(row: Row | null | undefined): Row | null {
  if (!row) return null;
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (k === 'key_hash') continue;
    out[k] = SECRET.test(k) ? (v === null || v === undefined ? null : '[set]') : v;
  }
  return out;
}

export interface AuditEntry {
  tenantId: string | null;
  action:
    | 'create' | 'update' | 'delete' | 'suspend' | 'revoke' | 'test' | 'originate' | 'hangup' | 'transfer'
    | 'recurring_call_created' | 'recurring_call_updated' | 'recurring_call_deleted' | 'recurring_call_executed';
  resourceType: string;
  resourceId: string | null;
  before?: Row | null;
  after?: Row | null;
}

/** `"sp_1a2b3c4d (Acme CRM)"`: the actor as it is stored. */
export const actorOf = (p: Principal) => `${p.keyPrefix} (${p.name})`;

/**
 * Writes the entry in the caller's transaction, so it commits or rolls back with the change.
 * @param actor the API key, or a service's own name (e.g. the scheduler instance that executed a recurring call)
 */
export async function recordAudit(trx: Kysely<Database>, actor: Principal | string, e: AuditEntry): Promise<void> {
  await trx
    .insertInto('audit_log')
    .values({
      tenant_id: e.tenantId,
      actor: typeof actor === 'string' ? actor : actorOf(actor),
      action: e.action,
      resource_type: e.resourceType,
      resource_id: e.resourceId,
      before: JSON.stringify(withoutSecrets(e.before)),
      after: JSON.stringify(withoutSecrets(e.after)),
    })
    .execute();
}
