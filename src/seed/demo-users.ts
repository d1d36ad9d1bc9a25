/**
 * The demo logins (listed in README.md): an admin and an agent (linked to extension 1001) for each
 * demo customer, with public passwords. A demo customer gets its logins
 * when it has no login at all (also in a data directory made before logins existed); written in
 * the customer's tenant, so row-level security checks every row.
 */
import type { Store } from '../db/store.js';
import type { UserRole } from '../db/schema-users.js';
import { hashPassword } from '../domain/passwords.js';

export interface DemoLogin {
  email: string;
  password: string;
  role: UserRole;
  customer: string | null;
  extension: string | null;
}

/** The demo customers' logins, by tenant slug. */
export const DEMO_LOGINS: Record<string, Array<Omit<DemoLogin, 'customer'> & { name: string }>> = {
  acme: [
    { email: 'admin@acme.switchplane.test', password: 'acme-admin-demo', role: 'admin', name: 'Acme Admin', extension: null },
    { email: 'agent@acme.switchplane.test', password: 'acme-agent-demo', role: 'agent', name: 'Mario Rossi', extension: '1001' },
  ],
  globex: [
    { email: 'admin@globex.switchplane.test', password: 'globex-admin-demo', role: 'admin', name: 'Globex Admin', extension: null },
    { email: 'agent@globex.switchplane.test', password: 'globex-agent-demo', role: 'agent', name: 'Globex Agent', extension: '1001' },
  ],
};

/**
 * Adds the demo logins of every demo customer present that has no login yet.
 * @returns the logins it created (to print once)
 */
export async function seedDemoUsers(store: Store): Promise<DemoLogin[]> {
  const tenants = await store.withLookup((db) => db.selectFrom('tenants').select(['id', 'slug', 'name']).where('slug', 'in', Object.keys(DEMO_LOGINS)).execute());
  const created: DemoLogin[] = [];
  for (const tenant of tenants) {
    const logins = DEMO_LOGINS[tenant.slug]!;
    const hashes = await Promise.all(logins.map((l) => hashPassword(l.password)));
    const added = await store.withTenant(tenant.id, async (trx) => {
      if (await trx.selectFrom('users').select('id').where('tenant_id', '=', tenant.id).executeTakeFirst()) return false;
      for (const [i, l] of logins.entries()) {
        const extension = l.extension ? await trx.selectFrom('extensions').select('id').where('extension', '=', l.extension).executeTakeFirst() : undefined;
        await trx
          .insertInto('users')
          .values({ tenant_id: tenant.id, email: l.email, name: l.name, role: l.role, password_hash: hashes[i]!, extension_id: extension?.id ?? null, status: 'active' })
          .onConflict((oc) => oc.column('email').doNothing())
          .execute();
      }
      return true;
    });
    if (added) created.push(...logins.map(({ email, password, role, extension }) => ({ email, password, role, extension, customer: tenant.name })));
  }
  return created;
}

/** The demo logins as printed once at the start that created them: `Portal: <url> — log in as …`. */
export function demoLoginsText(portal: string, logins: DemoLogin[]): string {
  const lines = logins.map((l) => `  ${l.email} / ${l.password}  (${l.role}${l.customer ? ` of ${l.customer}` : ''}${l.extension ? `, extension ${l.extension}` : ''})`);
  return `Portal: ${portal} — log in as one of the demo logins (public passwords, for trying Switchplane out only):\n${lines.join('\n')}\n\n`;
}
