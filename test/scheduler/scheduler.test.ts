import t, { type Test } from 'tap';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { CdrSpool } from '../../src/cdr/spool.js';
import { CdrWriter } from '../../src/cdr/writer.js';
import { loadConfig } from '../../src/config.js';
import { openPostgres } from '../../src/db/postgres.js';
import type { RecurringCallExecution } from '../../src/db/schema.js';
import type { Store } from '../../src/db/store.js';
import { placementCandidates } from '../../src/domain/call-placement.js';
import { createNode, deleteNode, writeHeartbeat } from '../../src/domain/freeswitch-nodes.js';
import { announceInstance, retireInstance, takeLease } from '../../src/domain/node-leases.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { CallControl, type CallControlDeps } from '../../src/esl/call-control.js';
import { originateCommand, type Call } from '../../src/esl/calls.js';
import { ChannelTracker } from '../../src/esl/channels.js';
import { EslController, type EventHandler } from '../../src/esl/controller.js';
import { NodeAccess } from '../../src/esl/node-access.js';
import { EslNodes } from '../../src/esl/nodes.js';
import { createMetrics } from '../../src/metrics.js';
import { claimDue, settle } from '../../src/domain/recurring-call-executions.js';
import { ownerWaitMs } from '../../src/scheduler/fleet-placement.js';
import { Scheduler, type SchedulerOptions } from '../../src/scheduler/scheduler.js';
import { seedDemo } from '../../src/seed/demo.js';
import { backends, type Backend } from '../helpers/backends.js';
import { hangupEvent } from '../helpers/cdr.js';
import { TEST_BACKOFF } from '../helpers/esl-controller.js';
import { legEvents } from '../helpers/esl-replay.js';
import { FakeEslServer, type JsonEvent } from '../helpers/esl-server.js';
import { eventually } from '../helpers/eventually.js';

const LEASE_MS = 60_000;
const GRACE_MS = 300_000;
/** Monday 2 March 2026, 09:00 in Madrid (CET): when the test calls are due. */
const DUE = new Date('2026-03-02T08:00:00Z');
const ACME_DOMAIN = 'acme.switchplane.test';

/** One database, opened as often as there are instances: PGlite has one session, so it is shared. */
interface SharedDatabase {
  store: Store;
  /** Another connection to the same database (PostgreSQL), or the same store (PGlite). */
  open(): Promise<Store>;
}

async function sharedDatabase(t: Test, backend: Backend): Promise<SharedDatabase> {
  if (backend.name === 'pglite') {
    const store = await backend.open();
    t.teardown(() => store.close());
    return { store, open: async () => store };
  }
  const server = process.env.TEST_DATABASE_URL!;
  const name = `switchplane_test_${randomBytes(6).toString('hex')}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: server });
    await client.connect();
    await client.query(text).finally(() => client.end());
  };
  await admin(`create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const opened: Store[] = [];
  const open = async () => {
    const store = await openPostgres({ url: url.toString(), poolSize: 4, lookupBudgetMs: 1000 });
    opened.push(store);
    return store;
  };
  t.teardown(async () => {
    await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
    await admin(`drop database if exists ${name} with (force)`);
  });
  return { store: await open(), open };
}

/** A fake FreeSWITCH: counts originates, knows the channels it created, answers each job with `job`. */
interface FakeFreeswitch {
  server: FakeEslServer;
  /** The BACKGROUND_JOB body of the originate of `callId`. */
  job: (callId: string) => string;
  /** Call ids of every `bgapi originate` received, in order. */
  originated(): string[];
}

async function fakeFreeswitch(t: Test): Promise<FakeFreeswitch> {
  const server = await FakeEslServer.start();
  const channels = new Set<string>();
  const fs: FakeFreeswitch = {
    server,
    job: (callId) => `+OK ${callId}\n`,
    originated: () => server.commands.map((c) => /^bgapi originate \{origination_uuid=([0-9a-f-]+),/.exec(c)?.[1]).filter((id): id is string => id !== undefined),
  };
  server.api = (cmd) => {
    if (cmd === 'show channels as json') return '{"row_count": 0}\n';
    const placed = /^originate \{origination_uuid=([0-9a-f-]+),/.exec(cmd)?.[1];
    if (placed) {
      channels.add(placed);
      return fs.job(placed);
    }
    const asked = /^uuid_exists (\S+)$/.exec(cmd)?.[1];
    if (asked) return channels.has(asked) ? 'true' : 'false';
    return undefined;
  };
  t.teardown(() => server.stop());
  return fs;
}

interface Instance {
  scheduler: Scheduler;
  nodes: EslNodes;
  cdrs: CdrWriter | undefined;
  /** What the instance's parts reported through onError. */
  errors: unknown[];
  /** Connects the event socket (when created with `connect: false`). */
  connect(): Promise<void>;
  /** Stops it abruptly, as a crash: its links close, its pass is abandoned mid-way. */
  kill(): Promise<void>;
}

/** A Switchplane instance's scheduler with its own event socket link (node `node`, default fs1) and call control. */
async function instance(
  t: Test,
  o: {
    name: string; store: Store; fs: FakeFreeswitch; clock: () => Date; node?: string; calls?: (deps: CallControlDeps) => CallControl; cdrs?: boolean; connect?: boolean; intervalMs?: number;
    batchSize?: number; cdrSettleMs?: number; ownStore?: boolean; records?: { store: Store; secrets: SecretBox }; placement?: SchedulerOptions['placement'];
  },
): Promise<Instance> {
  const metrics = createMetrics();
  const errors: unknown[] = [];
  const nodes = new EslNodes(loadConfig({ ESL_NODES: `${o.node ?? 'fs1'}@${o.fs.server.host}:${o.fs.server.port}` }).esl, (err) => errors.push(err), TEST_BACKOFF);
  const tracker = new ChannelTracker({ store: o.store, metrics, onError: (err) => errors.push(err), countDelayMs: 5 });
  const spoolDir = o.cdrs ? mkdtempSync(path.join(tmpdir(), 'switchplane-spool-')) : undefined;
  const cdrs = spoolDir ? new CdrWriter({ store: o.store, spool: new CdrSpool(spoolDir), metrics, onError: (err) => errors.push(err), flushIntervalMs: 10 }) : undefined;
  cdrs?.start();
  new EslController(nodes, [tracker, ...(cdrs ? [cdrs] : [])] as EventHandler[], metrics, (err) => errors.push(err));
  const deps = { nodes, channels: tracker };
  const calls = o.calls?.(deps) ?? new CallControl(deps);
  const scheduler = new Scheduler({
    store: o.store, calls, nodes: new NodeAccess({ nodes, ...(o.records ? { records: o.records } : {}) }), instanceId: o.name, clock: o.clock, intervalMs: o.intervalMs ?? 5, leaseMs: LEASE_MS, graceMs: GRACE_MS,
    cdrSettleMs: o.cdrSettleMs ?? 10, ...(o.batchSize ? { batchSize: o.batchSize } : {}), ...(o.placement ? { placement: o.placement } : {}), onError: (err, context) => errors.push({ err, ...context }),
  });
  const connect = async () => {
    const up = once(nodes.connections[0]!, 'connected');
    nodes.start();
    await up;
  };
  if (o.connect !== false) await connect();
  let alive = true;
  const links = async () => {
    await nodes.close();
    await tracker.close();
    await cdrs?.stop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  };
  t.teardown(async () => {
    if (!alive) return;
    alive = false;
    await scheduler.stop();
    await links();
  });
  return {
    scheduler, nodes, cdrs, errors, connect,
    kill: async () => {
      alive = false;
      await links();
      if (o.ownStore) await o.store.close();
    },
  };
}

/** Adds an enabled daily 09:00 Europe/Madrid recurring call from `extension`, next due at `at`. */
async function dueCall(store: Store, tenantId: string, o: { destination: string; extension?: string; at?: Date }): Promise<string> {
  return store.withTenant(tenantId, async (trx) => {
    const ext = await trx.selectFrom('extensions').select('id').where('extension', '=', o.extension ?? '1001').executeTakeFirstOrThrow();
    const row = await trx
      .insertInto('recurring_calls')
      .values({ tenant_id: tenantId, extension_id: ext.id, destination_number: o.destination, frequency: 'daily', time_of_day: '09:00', timezone: 'Europe/Madrid', next_execution_at: o.at ?? DUE })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

const executions = (store: Store): Promise<RecurringCallExecution[]> =>
  store.withScheduler((trx) => trx.selectFrom('recurring_call_executions').selectAll().orderBy('claimed_at').orderBy('scheduled_for').execute());

/**
 * Lets `ms` pass for the leases: leases are timed by the database's clock, which the tests do not
 * control, so their ends are moved back instead (the injected clocks only drive the schedule).
 */
const ageLeases = (store: Store, ms: number): Promise<unknown> =>
  store.withScheduler((trx) => sql`update recurring_call_executions set lease_expires_at = lease_expires_at - ${ms}::double precision * interval '1 millisecond' where outcome = 'claimed'`.execute(trx));

/** The database's clock. */
const dbNow = async (store: Store): Promise<Date> =>
  store.withScheduler(async (trx) => (await sql<{ now: Date }>`select clock_timestamp() as now`.execute(trx)).rows[0]!.now);

/** The executions once `ok` holds: read every 5 ms, up to 10 s. */
const executionsWhen = (store: Store, ok: (rows: RecurringCallExecution[]) => boolean): Promise<RecurringCallExecution[]> =>
  eventually('the executions', () => executions(store), { until: ok, timeoutMs: 10_000, intervalMs: 5 });

/** A scheduler interval as in production: only `ownerWaitMs` depends on it, the tests run passes by tick(). */
const FLEET_INTERVAL_MS = 10_000;
/** How late an occurrence must be before an instance not holding the best node claims it. */
const OWNER_WAIT_MS = ownerWaitMs({ intervalMs: FLEET_INTERVAL_MS, leaseMs: LEASE_MS, graceMs: GRACE_MS });

/**
 * Two Switchplane instances a and b holding nodes fs-a and fs-b (records with leases, both
 * instances announced live), each node's scheduler reading the fleet's ranking. With
 * `heartbeats`, fs-b's HEARTBEAT leaves it 90 free sessions and fs-a's 10: fs-b is the best node.
 */
async function fleetOfTwo(t: Test, store: Store, clock: () => Date, heartbeats: boolean) {
  const fsA = await fakeFreeswitch(t);
  const fsB = await fakeFreeswitch(t);
  const secrets = new SecretBox(randomBytes(32));
  const ids: string[] = [];
  for (const [owner, node, fs] of [['a', 'fs-a', fsA], ['b', 'fs-b', fsB]] as const) {
    const { id } = await createNode(store, secrets, { name: node, eslHost: '127.0.0.1', eslPort: fs.server.port, eslPassword: 'ClueCon' });
    ids.push(id);
    await announceInstance(store, owner, LEASE_MS);
    await takeLease(store, id, owner, LEASE_MS);
  }
  t.teardown(async () => {
    for (const id of ids) await deleteNode(store, id);
    for (const owner of ['a', 'b']) await retireInstance(store, owner);
  });
  if (heartbeats) {
    await writeHeartbeat(store, 'fs-a', { sessionCount: 90, sessionPeakMax: 90, maxSessions: 100, idleCpu: 99, uptimeSeconds: 60 });
    await writeHeartbeat(store, 'fs-b', { sessionCount: 10, sessionPeakMax: 10, maxSessions: 100, idleCpu: 50, uptimeSeconds: 60 });
  }
  const placement = () => placementCandidates(store);
  const a = await instance(t, { name: 'a', node: 'fs-a', store, fs: fsA, clock, intervalMs: FLEET_INTERVAL_MS, placement });
  const b = await instance(t, { name: 'b', node: 'fs-b', store, fs: fsB, clock, intervalMs: FLEET_INTERVAL_MS, placement });
  return { fsA, fsB, a, b };
}

/** How often each value occurs. */
const counts = (values: string[]) => values.reduce<Record<string, number>>((acc, v) => ({ ...acc, [v]: (acc[v] ?? 0) + 1 }), {});

/** Pushes `events` from the fake FreeSWITCH and resolves once node fs1 of `to` has received them all. */
async function pushed(fs: FakeFreeswitch, to: Instance, events: JsonEvent[]): Promise<void> {
  const conn = to.nodes.connections[0]!;
  let left = events.length;
  const all = new Promise<void>((resolve) => {
    const on = () => {
      if (--left > 0) return;
      conn.off('event', on);
      resolve();
    };
    conn.on('event', on);
  });
  for (const e of events) fs.server.pushEvent(e);
  await all;
}

for (const backend of backends) {
  t.test(`${backend.name}: recurring call scheduler`, async (t) => {
    const db = await sharedDatabase(t, backend);
    const { store } = db;
    await seedDemo(store, new SecretBox(randomBytes(32)));
    const tenants = await store.withOperator((trx) => trx.selectFrom('tenants').select(['id', 'slug']).execute());
    const acme = tenants.find((x) => x.slug === 'acme')!.id;
    const globex = tenants.find((x) => x.slug === 'globex')!.id;
    let now = new Date(DUE.getTime() + 5000);
    const clock = () => now;
    const audits = (resourceId: string) =>
      store.withTenant(acme, (trx) => trx.selectFrom('audit_log').select(['actor', 'action', 'after']).where('resource_id', '=', resourceId).orderBy('id').execute());
    t.beforeEach(async () => {
      now = new Date(DUE.getTime() + 5000);
      for (const tenant of [acme, globex]) await store.withTenant(tenant, (trx) => trx.deleteFrom('recurring_calls').execute());
    });

    t.test('the scheduler role acts for every tenant but reads no secrets and changes no configuration; the API sees its own tenant\'s executions', async (t) => {
      const who = await store.withScheduler(async (trx) => (await sql<{ user: string; bypass: boolean }>`select current_user as user, r.rolbypassrls as bypass from pg_roles r where r.rolname = current_user`.execute(trx)).rows[0]);
      t.same(who, { user: 'switchplane_scheduler', bypass: false });
      t.equal((await store.withScheduler((trx) => trx.selectFrom('extensions').select(['tenant_id', 'sip_username']).execute())).length, 4, 'extensions of both tenants');
      await t.rejects(store.withScheduler((trx) => trx.selectFrom('extensions').select('password_enc').execute()), /permission denied/, 'no SIP passwords');
      await t.rejects(store.withScheduler((trx) => trx.updateTable('extensions').set({ status: 'inactive' }).execute()), /permission denied/, 'no configuration writes');
      await t.rejects(store.withScheduler((trx) => trx.updateTable('recurring_calls').set({ destination_number: '+15550000000' }).execute()), /permission denied/, 'only next and last execution of recurring calls');
      await t.rejects(store.withScheduler((trx) => trx.selectFrom('api_keys').select('id').execute()), /permission denied/, 'no API keys');
      await t.rejects(
        store.withScheduler((trx) => trx.insertInto('audit_log').values({ tenant_id: acme, actor: 'x', action: 'delete', resource_type: 'extension' }).execute()),
        /row-level security/, 'audit rows of recurring_call_executed only',
      );
      await dueCall(store, acme, { destination: '+390212345678' });
      await store.withScheduler((trx) => claimDue(trx, { instanceId: 'a', now, leaseMs: LEASE_MS, graceMs: GRACE_MS, limit: 100 }));
      t.equal((await store.withTenant(acme, (trx) => trx.selectFrom('recurring_call_executions').select('id').execute())).length, 1);
      t.equal((await store.withTenant(globex, (trx) => trx.selectFrom('recurring_call_executions').select('id').execute())).length, 0, 'not another tenant\'s');
      await t.rejects(store.withTenant(acme, (trx) => trx.updateTable('recurring_call_executions').set({ outcome: 'answered' }).execute()), /permission denied/, 'the API only reads executions');
    });

    t.test('a due call is originated once as a click-to-call with the execution\'s call id; its CDR gives the outcome', async (t) => {
      const fs = await fakeFreeswitch(t);
      const a = await instance(t, { name: 'a', store, fs, clock, cdrs: true });
      const rc = await dueCall(store, acme, { destination: '+390212345678' });
      await a.scheduler.tick();
      const [x, ...more] = await executions(store);
      t.same(more, [], 'one execution');
      t.match(x, { recurring_call_id: rc, tenant_id: acme, scheduled_for: DUE, outcome: 'originated', claimed_by: 'a', attempts: 1, started_at: now, lease_expires_at: null, cdr_id: null });
      t.same(fs.originated(), [x!.call_id], 'one originate, with the call id chosen at the claim');
      const sent = fs.server.commands.find((c) => c.startsWith('bgapi originate '));
      t.equal(sent, `bgapi ${originateCommand({ callId: x!.call_id, tenant: { id: acme, sip_domain: ACME_DOMAIN }, from: { sip_username: '1001' }, destination: '+390212345678', ringSeconds: 30 })}`);
      t.match(sent, `}user/1001@${ACME_DOMAIN} +390212345678 XML ${ACME_DOMAIN}`, 'the extension rings first, then the destination goes through the dialplan');
      const row = await store.withTenant(acme, (trx) => trx.selectFrom('recurring_calls').select(['next_execution_at', 'last_execution_at']).where('id', '=', rc).executeTakeFirstOrThrow());
      t.same(row, { next_execution_at: new Date('2026-03-03T08:00:00Z'), last_execution_at: DUE }, 'next run: tomorrow 09:00 in Madrid');
      t.match(await audits(rc), [{ actor: 'scheduler a', action: 'recurring_call_executed', after: { executionId: x!.id, callId: x!.call_id, outcome: 'originated', scheduledFor: DUE.toISOString() } }]);

      await a.scheduler.tick();
      t.equal(fs.originated().length, 1, 'a second pass finds nothing due');

      const legs = legEvents('bgapi-originate-plain.txt', { '11111111-2222-3333-4444-555555555555': x!.call_id }, { [x!.call_id]: { variable_accountcode: acme } });
      await pushed(fs, a, legs);
      await a.cdrs!.idle();
      await a.scheduler.tick();
      const [done] = await executions(store);
      t.match(done, { outcome: 'answered', hangup_cause: 'NORMAL_CLEARING', cdr_id: String, finished_at: Date }, 'the A leg\'s CDR: answered');
      const cdr = await store.withTenant(acme, (trx) => trx.selectFrom('cdrs').select(['id', 'unique_id']).where('id', '=', done!.cdr_id!).executeTakeFirstOrThrow());
      t.equal(cdr.unique_id, x!.call_id);
      t.same(a.errors, []);
    });

    t.test('a call nobody answers: no_answer from its CDR', async (t) => {
      const fs = await fakeFreeswitch(t);
      fs.job = () => '-ERR NO_ANSWER\n';
      const a = await instance(t, { name: 'a', store, fs, clock, cdrs: true });
      await dueCall(store, acme, { destination: '1002' });
      await a.scheduler.tick();
      const [x] = await executionsWhen(store, ([e]) => e?.outcome === 'failed');
      t.equal(x!.hangup_cause, 'NO_ANSWER', 'the job\'s cause first');
      const unanswered = { variable_answer_uepoch: '0', 'Caller-Channel-Answered-Time': '0', variable_billsec: '0', 'Hangup-Cause': 'NO_ANSWER', variable_hangup_cause: 'NO_ANSWER' };
      await pushed(fs, a, [hangupEvent({ ...unanswered, 'Unique-ID': x!.call_id, 'Caller-Unique-ID': x!.call_id, variable_uuid: x!.call_id, variable_accountcode: acme })]);
      await a.cdrs!.idle();
      await a.scheduler.tick();
      t.match(await executions(store), [{ outcome: 'no_answer', hangup_cause: 'NO_ANSWER', cdr_id: String }]);
    });

    t.test('-ERR USER_NOT_REGISTERED: failed with that cause (no channel, so no CDR)', async (t) => {
      const fs = await fakeFreeswitch(t);
      fs.job = () => '-ERR USER_NOT_REGISTERED\n';
      const a = await instance(t, { name: 'a', store, fs, clock });
      await dueCall(store, acme, { destination: '+390212345678' });
      await a.scheduler.tick();
      const [x] = await executionsWhen(store, ([e]) => e?.outcome === 'failed');
      t.match(x, { hangup_cause: 'USER_NOT_REGISTERED', finished_at: Date, attempts: 1 });
      t.equal(fs.originated().length, 1);
    });

    t.test('a suspended extension: failed with the reason, nothing originated', async (t) => {
      const fs = await fakeFreeswitch(t);
      const a = await instance(t, { name: 'a', store, fs, clock });
      const rc = await dueCall(store, acme, { destination: '+390212345678', extension: '1003' });
      await a.scheduler.tick();
      t.match(await executions(store), [{ outcome: 'failed', error: 'extension 1003 is suspended', lease_expires_at: null }]);
      t.same(fs.originated(), []);
      t.match(await audits(rc), [{ action: 'recurring_call_executed', after: { outcome: 'failed', error: 'extension 1003 is suspended' } }]);
    });

    t.test('occurrences missed while no instance ran are skipped once, not replayed; the next run is recomputed', async (t) => {
      const fs = await fakeFreeswitch(t);
      const a = await instance(t, { name: 'a', store, fs, clock });
      const rc = await dueCall(store, acme, { destination: '+390212345678', at: new Date('2026-02-26T08:00:00Z') });
      await a.scheduler.tick();
      const xs = await executions(store);
      t.match(xs, [
        { scheduled_for: new Date('2026-02-26T08:00:00Z'), outcome: 'skipped', error: /^missed: no scheduler was running at 2026-02-26T08:00:00.000Z/, lease_expires_at: null },
        { scheduled_for: DUE, outcome: 'originated' },
      ], 'the skip is recorded once; today\'s run, 5 s ago, is within the grace period and is called');
      t.equal(xs.length, 2, 'nothing for 27 February to 1 March');
      t.same(fs.originated(), [xs[1]!.call_id], 'one call, not a burst');
      const row = await store.withTenant(acme, (trx) => trx.selectFrom('recurring_calls').select('next_execution_at').where('id', '=', rc).executeTakeFirstOrThrow());
      t.same(row.next_execution_at, new Date('2026-03-03T08:00:00Z'));
      t.match(await audits(rc), [{ after: { outcome: 'skipped' } }, { after: { outcome: 'originated' } }]);
    });

    t.test('start() runs passes every interval until stop()', async (t) => {
      const fs = await fakeFreeswitch(t);
      const a = await instance(t, { name: 'a', store, fs, clock });
      a.scheduler.start();
      await dueCall(store, acme, { destination: '+390212345678' });
      await fs.server.waitForCommand(/^bgapi originate /);
      await a.scheduler.stop();
      t.match(await executions(store), [{ outcome: 'originated' }]);
      t.equal(fs.originated().length, 1);
    });

    t.test('no FreeSWITCH node connected: the claim is given back, and the call is placed once the node is back', async (t) => {
      const fs = await fakeFreeswitch(t);
      const a = await instance(t, { name: 'a', store, fs, clock, connect: false });
      await dueCall(store, acme, { destination: '+390212345678' });
      await a.scheduler.tick();
      const [given] = await executions(store);
      t.match(given, { outcome: 'claimed', lease_expires_at: Date, error: 'no FreeSWITCH event socket is connected' });
      t.ok(given!.lease_expires_at!.getTime() <= (await dbNow(store)).getTime(), 'its lease ends at once, by the database\'s clock');
      await a.scheduler.tick();
      t.match(await executions(store), [{ outcome: 'claimed', attempts: 2 }], 'taken again, but FreeSWITCH cannot be asked whether it has the call');
      t.same(fs.originated(), []);
      await a.connect();
      now = new Date(now.getTime() + LEASE_MS);
      await ageLeases(store, LEASE_MS);
      await a.scheduler.tick();
      const [x] = await executions(store);
      t.match(x, { outcome: 'originated', attempts: 3, started_at: now });
      t.same(fs.originated(), [x!.call_id], 'FreeSWITCH did not have it (uuid_exists false, no CDR): originated once');
      t.ok(fs.server.commands.includes(`api uuid_exists ${x!.call_id}`));
    });

    if (backend.name === 'postgres') {
      t.test('two instances: a claim in progress is skipped, not waited for; a crash before commit loses nothing', async (t) => {
        const fs = await fakeFreeswitch(t);
        const storeB = await db.open();
        const b = await instance(t, { name: 'b', store: storeB, fs, clock });
        for (let i = 0; i < 5; i++) await dueCall(store, acme, { destination: `+39021234560${i}` });
        await t.rejects(
          store.withScheduler(async (trx) => {
            const { occurrences } = await claimDue(trx, { instanceId: 'a', now, leaseMs: LEASE_MS, graceMs: GRACE_MS, limit: 100 });
            t.equal(occurrences.length, 5, 'instance a holds all five rows, uncommitted');
            await b.scheduler.tick();
            t.same(fs.originated(), [], 'b skipped the locked rows');
            throw new Error('instance a dies before committing');
          }),
          /dies before committing/,
        );
        await b.scheduler.tick();
        const xs = await executions(store);
        t.equal(xs.length, 5);
        t.ok(xs.every((x) => x.claimed_by === 'b' && x.outcome === 'originated'));
        t.same(counts(fs.originated()), Object.fromEntries(xs.map((x) => [x.call_id, 1])), 'each originated once');
      });

      t.test('two instances polling together: N due calls originate exactly N times', async (t) => {
        const fs = await fakeFreeswitch(t);
        const storeB = await db.open();
        const a = await instance(t, { name: 'a', store, fs, clock, intervalMs: 1, batchSize: 3 });
        const b = await instance(t, { name: 'b', store: storeB, fs, clock, intervalMs: 1, batchSize: 3 });
        const N = 30;
        const ids: string[] = [];
        for (let i = 0; i < N; i++) {
          const [tenant, extension] = [[acme, '1001'], [acme, '1002'], [globex, '1001']][i % 3] as [string, string];
          ids.push(await dueCall(store, tenant, { destination: `+1555000${String(i).padStart(4, '0')}`, extension }));
        }
        a.scheduler.start();
        b.scheduler.start();
        const xs = await executionsWhen(store, (rows) => rows.length === N && rows.every((x) => x.outcome === 'originated'));
        await Promise.all([a.scheduler.stop(), b.scheduler.stop()]);
        t.same(xs.map((x) => x.recurring_call_id).sort(), [...ids].sort(), 'one execution per recurring call');
        t.same(counts(fs.originated()), Object.fromEntries(xs.map((x) => [x.call_id, 1])), `${N} originates, one per execution`);
        t.ok(xs.every((x) => x.claimed_by === 'a' || x.claimed_by === 'b'));
        const nexts = await store.withScheduler((trx) => trx.selectFrom('recurring_calls').select('next_execution_at').execute());
        t.ok(nexts.every((r) => r.next_execution_at?.toISOString() === '2026-03-03T08:00:00.000Z'), 'every one moved to tomorrow');
        t.same([...a.errors, ...b.errors], []);
      });
    }

    t.test('an instance killed mid-run: the other takes over after the lease, loses none and doubles none', async (t) => {
      const fs = await fakeFreeswitch(t);
      /** Call control of an instance that dies in its third originate, after FreeSWITCH took it. */
      class DiesInThirdOriginate extends CallControl {
        private placed = 0;
        override async originate(...args: Parameters<CallControl['originate']>): Promise<Call> {
          const call = await super.originate(...args);
          if (++this.placed === 3) return new Promise<Call>(() => undefined);
          return call;
        }
      }
      const storeA = await db.open();
      const a = await instance(t, { name: 'a', store: storeA, fs, clock, calls: (deps) => new DiesInThirdOriginate(deps), ownStore: storeA !== store });
      const b = await instance(t, { name: 'b', store, fs, clock });
      const N = 6;
      const ids: string[] = [];
      for (let i = 0; i < N; i++) ids.push(await dueCall(store, acme, { destination: `+39021234561${i}` }));
      void a.scheduler.tick();
      const third = /origination_uuid=([0-9a-f-]+),/.exec((await fs.server.waitForCommand(/^bgapi originate /, 3)).command)![1]!;
      await a.kill();
      const claimed = await executions(store);
      t.same(counts(claimed.map((x) => x.outcome)), { originated: 2, claimed: 4 }, 'a had claimed all six and recorded two originates');

      await b.scheduler.tick();
      t.equal(fs.originated().length, 3, 'b waits while a\'s lease runs');

      now = new Date(now.getTime() + LEASE_MS);
      await ageLeases(store, LEASE_MS);
      await b.scheduler.tick();
      const xs = await executions(store);
      t.equal(xs.length, N);
      t.ok(xs.every((x) => x.outcome === 'originated'), 'every occurrence called');
      t.same(counts(fs.originated()), Object.fromEntries(xs.map((x) => [x.call_id, 1])), 'each call id originated exactly once');
      const byCall = new Map(xs.map((x) => [x.call_id, x]));
      t.match(byCall.get(third), { claimed_by: 'b', attempts: 2, started_at: null }, 'the third was on FreeSWITCH (uuid_exists true): recorded, not originated again');
      t.equal(xs.filter((x) => x.claimed_by === 'b' && x.started_at?.getTime() === now.getTime()).length, 3, 'b originated the three a never sent');
      t.ok(fs.server.commands.includes(`api uuid_exists ${third}`));
      const executed = await store.withTenant(acme, (trx) => trx.selectFrom('audit_log').select('after').where('action', '=', 'recurring_call_executed').where('resource_id', 'in', ids).execute());
      t.same(counts(executed.map((r) => (r.after as { callId: string }).callId)), Object.fromEntries(xs.map((x) => [x.call_id, 1])), 'one recurring_call_executed audit row per execution');

      now = new Date(now.getTime() + LEASE_MS);
      await ageLeases(store, LEASE_MS);
      await b.scheduler.tick();
      t.equal(fs.originated().length, N, 'nothing more');
      t.same(b.errors, []);
    });

    t.test('an instance whose clock runs ahead by more than the lease does not take over a live claim', async (t) => {
      const fs = await fakeFreeswitch(t);
      const ahead = () => new Date(now.getTime() + 2 * LEASE_MS);
      const b = await instance(t, { name: 'b', store, fs, clock: ahead });
      await dueCall(store, acme, { destination: '+390212345678' });
      // Instance a (its clock right) has just claimed the occurrence and is about to originate it.
      const { occurrences: [o] } = await store.withScheduler((trx) => claimDue(trx, { instanceId: 'a', now, leaseMs: LEASE_MS, graceMs: GRACE_MS, limit: 100 }));
      const [claimed] = await executions(store);
      t.ok(claimed!.lease_expires_at!.getTime() > (await dbNow(store)).getTime() + LEASE_MS / 2, 'the lease ends a lease from now by the database\'s clock, not by a\'s');
      await b.scheduler.tick();
      t.match(await executions(store), [{ id: o!.executionId, outcome: 'claimed', claimed_by: 'a', attempts: 1 }], 'b, 2 leases ahead, leaves a\'s claim alone');
      t.same(fs.originated(), []);
      t.notOk(fs.server.commands.some((c) => c.startsWith('api uuid_exists')), 'not even asked about');
      t.ok(await store.withScheduler((trx) => settle(trx, 'a', o!.executionId, { outcome: 'originated', startedAt: now })), 'a still holds it and records its originate');

      // The same skew once a lease has really run out (by the database's clock): b takes it over.
      await dueCall(store, acme, { destination: '+390212345679', at: new Date(DUE.getTime() + 1000) });
      await store.withScheduler((trx) => claimDue(trx, { instanceId: 'a', now, leaseMs: LEASE_MS, graceMs: GRACE_MS, limit: 100 }));
      await ageLeases(store, LEASE_MS);
      now = new Date(now.getTime() - LEASE_MS); // b's clock: a lease ahead, still within the grace period
      await b.scheduler.tick();
      const xs = await executions(store);
      t.match(xs, [{ claimed_by: 'a', outcome: 'originated' }, { claimed_by: 'b', outcome: 'originated', attempts: 2 }]);
      t.same(fs.originated(), [xs[1]!.call_id], 'the expired claim is taken over and placed once');
      t.same(b.errors, []);
    });

    t.test('a taken-over call FreeSWITCH has by the time of the re-originate (asked again): recorded, not dialled twice', async (t) => {
      const fs = await fakeFreeswitch(t);
      const b = await instance(t, { name: 'b', store, fs, clock });
      await dueCall(store, acme, { destination: '+390212345678' });
      await store.withScheduler((trx) => claimDue(trx, { instanceId: 'a', now, leaseMs: LEASE_MS, graceMs: GRACE_MS, limit: 100 }));
      const [x] = await executions(store);
      await ageLeases(store, LEASE_MS);
      // a's originate reaches FreeSWITCH late: the first uuid_exists says false, the next one true
      // (a short call whose CDR is not written yet when b looks for it).
      const api = fs.server.api;
      let asked = 0;
      fs.server.api = (cmd) => (cmd === `uuid_exists ${x!.call_id}` ? (++asked === 1 ? 'false' : 'true') : api(cmd));
      await b.scheduler.tick();
      t.equal(asked, 2, 'asked at the takeover and again right before originating');
      t.same(fs.originated(), [], 'not originated a second time');
      t.match(await executions(store), [{ id: x!.id, outcome: 'originated', claimed_by: 'b', attempts: 2, started_at: null }]);
      t.same(b.errors, []);
    });

    t.test('a recovery that outlasts its lease does not originate: the claim is no longer its own', async (t) => {
      const fs = await fakeFreeswitch(t);
      const b = await instance(t, { name: 'b', store, fs, clock, cdrSettleMs: 300 });
      await dueCall(store, acme, { destination: '+390212345678' });
      await store.withScheduler((trx) => claimDue(trx, { instanceId: 'a', now, leaseMs: LEASE_MS, graceMs: GRACE_MS, limit: 100 }));
      const [x] = await executions(store);
      await ageLeases(store, LEASE_MS);
      let takenByC = false;
      // b asks FreeSWITCH after its takeover has committed; before it hears back (and waits for a
      // CDR), its lease runs out and instance c takes the claim over.
      const api = fs.server.api;
      fs.server.api = async (cmd) => {
        if (cmd === `uuid_exists ${x!.call_id}`) {
          if (!takenByC) {
            takenByC = true;
            await store.withScheduler((trx) => sql`update recurring_call_executions set claimed_by = 'c', lease_expires_at = now() + interval '1 minute' where id = ${x!.id}`.execute(trx));
          }
          return 'false';
        }
        return api(cmd);
      };
      await b.scheduler.tick();
      t.ok(takenByC);
      t.same(fs.originated(), []);
      t.match(await executions(store), [{ id: x!.id, outcome: 'claimed', claimed_by: 'c' }]);
      t.same(b.errors, []);
    });

    t.test('a taken-over call on a node another instance holds: asked over a short-lived socket, recorded, not dialled twice', async (t) => {
      const fs = await fakeFreeswitch(t); // fs1, held by b
      const other = await fakeFreeswitch(t); // fs2, held by another instance
      const gone = await FakeEslServer.start();
      await gone.stop(); // fs3: its port refuses connections
      const secrets = new SecretBox(randomBytes(32));
      const nodeIds: string[] = [];
      for (const [name, port] of [['fs1', fs.server.port], ['fs2', other.server.port], ['fs3', gone.port]] as const) {
        nodeIds.push((await createNode(store, secrets, { name, eslHost: '127.0.0.1', eslPort: port, eslPassword: 'ClueCon' })).id);
      }
      t.teardown(() => Promise.all(nodeIds.map((id) => deleteNode(store, id))));
      const b = await instance(t, { name: 'b', store, fs, clock, records: { store, secrets } });
      await dueCall(store, acme, { destination: '+390212345678' });
      await store.withScheduler((trx) => claimDue(trx, { instanceId: 'a', now, leaseMs: LEASE_MS, graceMs: GRACE_MS, limit: 100 }));
      const [x] = await executions(store);
      await ageLeases(store, LEASE_MS);
      // a placed the call on fs2 before it stopped; fs3 cannot be asked: the claim waits.
      await b.scheduler.tick();
      t.ok(other.server.commands.includes(`api uuid_exists ${x!.call_id}`), 'fs2, not held by b, was asked');
      t.same([...fs.originated(), ...other.originated()], [], 'nothing originated while fs3 cannot be asked');
      t.match(await executions(store), [{ id: x!.id, outcome: 'claimed', claimed_by: 'b', attempts: 2 }]);

      await deleteNode(store, nodeIds.pop()!);
      other.server.api = (cmd) => (cmd === `uuid_exists ${x!.call_id}` ? 'true' : undefined);
      const accepted = other.server.connectionsAccepted;
      await ageLeases(store, LEASE_MS);
      await b.scheduler.tick();
      t.equal(other.server.connectionsAccepted, accepted + 1, 'fs2 asked over one short-lived socket');
      await eventually('and it is closed', () => other.server.authedClients === 0);
      t.same([...fs.originated(), ...other.originated()], [], 'not originated a second time');
      t.match(await executions(store), [{ id: x!.id, outcome: 'originated', claimed_by: 'b', attempts: 3, started_at: null }]);
      t.same(b.errors, []);
    });

    t.test('placement: the best node (most free sessions by HEARTBEAT) is b\'s: b claims the occurrence and places it there, once; a leaves it', async (t) => {
      now = DUE;
      const { fsA, fsB, a, b } = await fleetOfTwo(t, store, clock, true);
      t.match((await placementCandidates(store)).map((c) => [c.node, c.owner, c.freeSessions]), [['fs-b', 'b', 90], ['fs-a', 'a', 10]]);
      const rc = await dueCall(store, acme, { destination: '+390212345678' });
      await a.scheduler.tick();
      t.same(await executions(store), [], 'a claims nothing: the occurrence is due, and b holds the best node');
      await b.scheduler.tick();
      const [x, ...more] = await executions(store);
      t.same(more, []);
      t.match(x, { recurring_call_id: rc, scheduled_for: DUE, outcome: 'originated', claimed_by: 'b', attempts: 1 });
      t.same(fsB.originated(), [x!.call_id], 'originated on fs-b');
      await Promise.all([a.scheduler.tick(), b.scheduler.tick()]);
      now = new Date(DUE.getTime() + OWNER_WAIT_MS);
      await Promise.all([a.scheduler.tick(), b.scheduler.tick()]);
      t.same([...fsA.originated(), ...fsB.originated()], [x!.call_id], 'once in all, nothing on fs-a');
      t.equal((await executions(store)).length, 1);
      t.same([...a.errors, ...b.errors], []);
    });

    t.test('placement: b holds the best node but its scheduler does not run: a claims the occurrence once it is ownerWaitMs late, and places it on fs-a', async (t) => {
      t.equal(OWNER_WAIT_MS, 30_000, 'three intervals of 10 s (under half of grace minus lease: 120 s)');
      now = DUE;
      const { fsA, fsB, a, b } = await fleetOfTwo(t, store, clock, true);
      await b.scheduler.stop();
      await dueCall(store, acme, { destination: '+390212345678' });
      await a.scheduler.tick();
      now = new Date(DUE.getTime() + OWNER_WAIT_MS - 1);
      await a.scheduler.tick();
      t.same(await executions(store), [], 'not claimed while less than ownerWaitMs late');
      now = new Date(DUE.getTime() + OWNER_WAIT_MS);
      await a.scheduler.tick();
      const [x, ...more] = await executions(store);
      t.same(more, []);
      t.match(x, { scheduled_for: DUE, outcome: 'originated', claimed_by: 'a', attempts: 1, started_at: now });
      t.same(fsA.originated(), [x!.call_id], 'on a\'s own best node');
      t.same(fsB.originated(), []);
      await a.scheduler.tick();
      t.equal(fsA.originated().length, 1, 'once');
      t.same(a.errors, []);
    });

    t.test('placement without any fresh HEARTBEAT: an instance claims what is due as without placement', async (t) => {
      now = DUE;
      const { fsA, fsB, a } = await fleetOfTwo(t, store, clock, false);
      await dueCall(store, acme, { destination: '+390212345678' });
      await a.scheduler.tick();
      const [x] = await executions(store);
      t.match(x, { outcome: 'originated', claimed_by: 'a' });
      t.same(fsA.originated(), [x!.call_id]);
      t.same(fsB.originated(), []);
      t.same(a.errors, []);
    });
  });
}
