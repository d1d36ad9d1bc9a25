/**
 * Demo records for trying Switchplane out (listed in README.md): tenants Acme Corp and Globex
 * with extensions, trunks and numbers. Not for production: the passwords are public.
 * Written through `withTenant`, so row-level security checks every row.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../db/store.js';
import type { BusinessHours } from '../db/schema.js';
import type { SecretBox } from '../domain/secrets.js';
import { insertTenantRecords, tenantSlugs } from '../domain/seed-records.js';
import { seedDemoUsers, type DemoLogin } from './demo-users.js';

/** Monday to Friday 09:00–18:00 in the tenant time zone, closed at the weekend (the customer-care number). */
export const OFFICE_HOURS: BusinessHours = {
  monday: { start: '09:00', end: '18:00' },
  tuesday: { start: '09:00', end: '18:00' },
  wednesday: { start: '09:00', end: '18:00' },
  thursday: { start: '09:00', end: '18:00' },
  friday: { start: '09:00', end: '18:00' },
  saturday: null,
  sunday: null,
};

/**
 * Loads the demo tenants that are not there yet (matched by slug), and the demo logins of every
 * demo tenant that has no login (src/seed/demo-users.ts).
 * @returns the slugs and the logins it created
 */
export async function seedDemo(store: Store, secrets: SecretBox): Promise<{ tenants: string[]; logins: DemoLogin[] }> {
  const have = await tenantSlugs(store);
  const created: string[] = [];

  if (!have.has('acme')) {
    await insertTenantRecords(store, {
      tenant: { id: randomUUID(), name: 'Acme Corp', slug: 'acme', sip_domain: 'acme.switchplane.test', timezone: 'Europe/Rome' },
      extensions: [
        { extension: '1001', sip_username: '1001', display_name: 'Mario Rossi', password_enc: secrets.seal('demo-1001-secret') },
        { extension: '1002', sip_username: '1002', display_name: 'Giulia Bianchi', password_enc: secrets.seal('demo-1002-secret') },
        { extension: '1003', sip_username: '1003', display_name: 'Suspended User', password_enc: secrets.seal('demo-1003-secret'), status: 'suspended' },
      ],
      trunks: [
        {
          name: 'acme-main', provider: 'demo', host: '127.0.0.1', port: 5070, transport: 'udp',
          username: 'acme_trunk', password_enc: secrets.seal('acme-trunk-secret'), register: true, priority: 1, max_channels: 2,
        },
        { name: 'acme-backup', provider: 'demo', host: '127.0.0.1', port: 5072, transport: 'udp', register: false, priority: 2, max_channels: 10 },
      ],
      numbers: [
        {
          number: '+390510510510', trunk: 'acme-main', description: 'Customer care (AI agent)', route: 'ai_agent',
          ai_agent_profile: 'customer-care-voice', business_hours: JSON.stringify(OFFICE_HOURS), failover_extension: '1002',
        },
        { number: '+390510510511', trunk: 'acme-main', description: 'Mario Rossi direct line', route: 'extension', route_target: '1001' },
      ],
    });
    created.push('acme');
  }

  if (!have.has('globex')) {
    await insertTenantRecords(store, {
      tenant: { id: randomUUID(), name: 'Globex', slug: 'globex', sip_domain: 'globex.switchplane.test', timezone: 'America/New_York' },
      extensions: [{ extension: '1001', sip_username: '1001', display_name: 'Globex 1001', password_enc: secrets.seal('globex-1001-secret') }],
      trunks: [{ name: 'globex-main', provider: 'demo', host: '127.0.0.1', port: 5074, transport: 'udp', register: false, priority: 1 }],
      numbers: [{ number: '+15551234567', trunk: 'globex-main', route: 'extension', route_target: '1001' }],
    });
    created.push('globex');
  }
  return { tenants: created, logins: await seedDemoUsers(store) };
}
