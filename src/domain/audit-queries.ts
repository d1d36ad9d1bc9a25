/**
 * Reading a customer's audit log (the rows src/domain/audit.ts writes): a filtered page, newest
 * first (created_at descending, then id). Runs in `store.withTenant`, so row-level security shows
 * only that customer's rows.
 *
 * Secrets: the writer already masks secret columns (`"[set]"`) and drops key hashes; the reader
 * masks again, whatever a row holds, so a row written by an older version or a new resource with
 * a secret the writer's list does not know never answers one: every value (at any depth of
 * `before`/`after`) under a key naming a password, PIN, secret, token, hash, API key or a sealed
 * column (`*_enc`, `*_sealed`) answers `"***"` (null stays null: nothing is set).
 */
import { sql } from 'kysely';
import type { Store } from '../db/store.js';
import { inRange, paginate, resolveRange, type Page, type PageInput, type RangeInput } from './record-listing.js';

/** Filters of the audit log; each optional. `from`/`to` bound `created_at` like the CDR list's start time. */
export interface AuditFilters extends RangeInput {
  /** Part of the actor, case-insensitive: an API key's prefix or name, a person's email, `scheduler`. */
  actor?: string;
  /** Exact resource type, e.g. `trunk`, `extension`, `phone_number`, `call`. */
  resourceType?: string;
  /** Exact action, e.g. `create`, `update`, `delete`, `hangup`. */
  action?: string;
}

export interface AuditRow {
  /** The row id (a bigint, as text). */
  id: string;
  createdAt: Date;
  actor: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  before: unknown;
  after: unknown;
}

const SECRET_KEY = /password|secret|token|hash|pin_|_pin$|^pin$|apikey|api_key|_enc$|_sealed$/i;

/** `value` with every value under a secret-naming key replaced by `"***"`, at any depth. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET_KEY.test(k) ? (v === null ? null : '***') : maskSecrets(v)]),
  );
}

/** A page of the tenant's audit rows matching `q`, newest first. @throws NotFoundError `customer`; FieldError `from` */
export function listAuditLog(store: Store, tenantId: string, q: AuditFilters & PageInput): Promise<Page<AuditRow>> {
  return store.withTenant(tenantId, async (trx) => {
    const range = await resolveRange(trx, tenantId, q);
    const matching = () => {
      let query = trx.selectFrom('audit_log').where('tenant_id', '=', tenantId).where(inRange('created_at', range));
      if (q.actor) query = query.where(sql<boolean>`strpos(lower(actor), lower(${q.actor})) > 0`);
      if (q.resourceType) query = query.where('resource_type', '=', q.resourceType);
      if (q.action) query = query.where('action', '=', q.action);
      return query;
    };
    const page = await paginate(matching, q, (m) =>
      m.select(['id', 'created_at', 'actor', 'action', 'resource_type', 'resource_id', 'before', 'after']).orderBy('created_at', 'desc').orderBy('id', 'desc'),
    );
    return {
      pagination: page.pagination,
      data: page.data.map((r) => ({
        id: String(r.id),
        createdAt: r.created_at,
        actor: r.actor,
        action: r.action,
        resourceType: r.resource_type,
        resourceId: r.resource_id,
        before: maskSecrets(r.before),
        after: maskSecrets(r.after),
      })),
    };
  });
}
