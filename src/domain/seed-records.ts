/**
 * Writes a whole tenant with its extensions, trunks and numbers in one `withTenant` transaction
 * (row-level security checks every row), as given: no audit rows, no defaults beyond the
 * columns'. For fixed data sets such as the demo (src/seed/demo.ts), not for customer input.
 */
import type { Insertable } from 'kysely';
import type { ExtensionsTable, PhoneNumbersTable, TenantsTable, TrunksTable } from '../db/schema.js';
import type { Store } from '../db/store.js';

type WithoutTenant<T> = Omit<Insertable<T>, 'tenant_id'>;

export interface TenantRecords {
  tenant: Insertable<TenantsTable> & { id: string };
  extensions: WithoutTenant<ExtensionsTable>[];
  trunks: WithoutTenant<TrunksTable>[];
  /** `trunk`: the name of one of `trunks`, whose id becomes the number's `trunk_id`. */
  numbers: (Omit<WithoutTenant<PhoneNumbersTable>, 'trunk_id'> & { trunk?: string })[];
}

/** The slugs of every tenant (read as the lookup role). */
export async function tenantSlugs(store: Store): Promise<Set<string>> {
  const rows = await store.withLookup((db) => db.selectFrom('tenants').select('slug').execute());
  return new Set(rows.map((r) => r.slug));
}

/** Inserts the tenant, then its extensions, trunks (in order) and numbers. */
export async function insertTenantRecords(store: Store, r: TenantRecords): Promise<void> {
  const tenantId = r.tenant.id;
  await store.withTenant(tenantId, async (db) => {
    await db.insertInto('tenants').values(r.tenant).execute();
    if (r.extensions.length > 0) await db.insertInto('extensions').values(r.extensions.map((e) => ({ ...e, tenant_id: tenantId }))).execute();
    const trunkIds = new Map<string, string>();
    for (const t of r.trunks) {
      const { id } = await db.insertInto('trunks').values({ ...t, tenant_id: tenantId }).returning('id').executeTakeFirstOrThrow();
      trunkIds.set(t.name, id);
    }
    if (r.numbers.length > 0) {
      await db
        .insertInto('phone_numbers')
        .values(r.numbers.map(({ trunk, ...n }) => ({ ...n, tenant_id: tenantId, ...(trunk !== undefined && { trunk_id: trunkIds.get(trunk) ?? null }) })))
        .execute();
    }
  });
}
