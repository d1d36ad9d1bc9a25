/**
 * Call records for the portal's browser tests: a Switchplane process (src/main.ts, embedded
 * database, demo tenants and logins) whose database also holds the given CDRs and AI sessions.
 * FreeSWITCH writes CDRs and the AI agent writes sessions, neither of which a browser test has, so
 * the process is started once (migrations, demo seed), stopped, the rows are written straight
 * into its embedded database, and it is started again on the same data directory.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { sql, type Insertable } from 'kysely';
import type { Test } from 'tap';
import type { AiSessionsTable, CdrsTable } from '../../src/db/schema.js';
import { openPglite } from '../../src/db/pglite.js';
import { buildPortal, DEMO, type PortalServer } from './browser.js';
import { freePort } from './sipp.js';
import { startSwitchplane } from './switchplane-process.js';

/** A CDR as the test gives it: the tenant and ids are filled in. */
export type CdrRow = Omit<Insertable<CdrsTable>, 'tenant_id' | 'unique_id' | 'metadata'> & { unique_id?: string };
/** An AI session as the test gives it, transcript and actions as values. */
export type AiSessionRow = Omit<Insertable<AiSessionsTable>, 'tenant_id' | 'transcript' | 'actions_taken'> & { transcript: unknown[]; actions_taken: unknown[] };

/**
 * A portal server (as `portalServer`) whose customer `slug` has `cdrs` and `sessions`.
 * @param rows called with the customer's id once the demo data exists; returns the rows to write
 */
export async function portalWithRecords(
  t: Test,
  slug: string,
  rows: (tenantId: string) => { cdrs: CdrRow[]; sessions: AiSessionRow[] },
): Promise<PortalServer & { tenantId: string }> {
  await buildPortal();
  const env = { DEMO_SEED: 'true', OPERATOR_PASSWORD: DEMO.operator.password };
  const first = await startSwitchplane(t, await freePort('tcp'), env);
  const dataDir = first.dataDir;
  await first.stop({ keepData: true });

  const store = await openPglite(path.join(dataDir, 'pglite'));
  let tenantId: string;
  try {
    tenantId = (await store.withOperator((db) => db.selectFrom('tenants').select('id').where('slug', '=', slug).executeTakeFirstOrThrow())).id;
    const { cdrs, sessions } = rows(tenantId);
    await store.withTenant(tenantId, async (db) => {
      if (sessions.length > 0) {
        await db.insertInto('ai_sessions').values(sessions.map((s) => ({
          ...s, tenant_id: tenantId, transcript: sql`cast(${JSON.stringify(s.transcript)} as jsonb)`, actions_taken: sql`cast(${JSON.stringify(s.actions_taken)} as jsonb)`,
        }))).execute();
      }
      if (cdrs.length > 0) await db.insertInto('cdrs').values(cdrs.map((c) => ({ unique_id: randomUUID(), ...c, tenant_id: tenantId }))).execute();
    });
  } finally {
    await store.close();
  }
  const sp = await startSwitchplane(t, await freePort('tcp'), env, dataDir);
  return { url: sp.url, adminKey: sp.adminKey, sp, tenantId };
}
