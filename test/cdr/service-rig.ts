/**
 * The event handlers as src/main.ts composes them (src/wiring/event-handlers.ts: CDR writer,
 * trackers, controller), connected to fake FreeSWITCH nodes, with the demo app (json_cdr route) and tenants; and what CDR tests read back.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { loadConfig } from '../../src/config.js';
import { EslNodes } from '../../src/esl/nodes.js';
import { createEventHandlers, type EventHandlers } from '../../src/wiring/event-handlers.js';
import { SecretBox } from '../../src/domain/secrets.js';
import type { Metrics } from '../../src/metrics.js';
import { demoApp, type TestApp } from '../helpers/app.js';
import type { Backend } from '../helpers/backends.js';
import { hangupEvent } from '../helpers/cdr.js';
import { TEST_BACKOFF } from '../helpers/esl-controller.js';
import { FakeEslServer, type JsonEvent } from '../helpers/esl-server.js';
import { SHARED_DIR } from '../helpers/repo-paths.js';

export const JSON_CDR = readFileSync(path.join(SHARED_DIR, 'fixtures/freeswitch/cdr/json_cdr-call-9999.json'), 'utf8');
export const JSON_CDR_UUID = '95f577b5-851f-4c2d-bbd7-182352e6c2c3';

export interface Rig {
  ctx: TestApp;
  /** FreeSWITCH node fs1. */
  server: FakeEslServer;
  /** Nodes fs1, fs2, ... */
  servers: FakeEslServer[];
  nodes: EslNodes;
  service: EventHandlers;
  acmeId: string;
  globexId: string;
  /** What the service logged as warnings. */
  warnings: Array<{ context: object; message: string }>;
}

/**
 * The event handlers as src/main.ts composes them, against fake FreeSWITCH nodes (fs1, fs2, ...; one
 * unless `nodeCount` says), with the demo tenants.
 */
export async function rig(t: Test, backend: Backend, env: Record<string, string> = {}, nodeCount = 1): Promise<Rig> {
  const servers = await Promise.all(Array.from({ length: nodeCount }, () => FakeEslServer.start()));
  // The reconciles on connect find nothing registered and no channels.
  for (const server of servers) {
    server.api = (cmd) => (cmd.startsWith('sofia xmlstatus') ? '<profile><registrations></registrations><gateways></gateways></profile>\n' : cmd.startsWith('show channels') ? '{"row_count":0}\n' : undefined);
  }
  const spoolDir = mkdtempSync(path.join(tmpdir(), 'switchplane-spool-'));
  const eslNodes = servers.map((s, i) => `fs${i + 1}@${s.host}:${s.port}`).join(',');
  const config = loadConfig({ ESL_NODES: eslNodes, CDR_SPOOL_DIR: spoolDir, DATA_DIR: '/nonexistent' });
  const warnings: Rig['warnings'] = [];
  let nodes!: EslNodes;
  let service!: EventHandlers;
  const ctx = await demoApp(backend, env, false, ({ store, metrics }) => {
    nodes = new EslNodes(config.esl, () => undefined, TEST_BACKOFF);
    service = createEventHandlers({ config, store, secrets: new SecretBox(Buffer.alloc(32, 7)), metrics, nodes, report: () => undefined, warn: (context, message) => warnings.push({ context, message }) });
    return { esl: nodes, calls: service.calls, cdrs: service.cdrs };
  });
  service.start();
  const up = Promise.all(nodes.connections.map((c) => once(c, 'connected')));
  nodes.start();
  await up;
  const tenants = await ctx.store.withOperator((db) => db.selectFrom('tenants').select(['id', 'slug']).execute());
  const id = (slug: string) => tenants.find((x) => x.slug === slug)!.id;
  t.teardown(async () => {
    await nodes.close();
    await service.close();
    await Promise.all(servers.map((s) => s.stop()));
    await ctx.close();
    rmSync(spoolDir, { recursive: true, force: true });
  });
  return { ctx, server: servers[0]!, servers, nodes, service, acmeId: id('acme'), globexId: id('globex'), warnings };
}

/** The value of metric `name` with exactly `labels` (e.g. `source="esl",result="merged"`); 0 when never counted. */
export const metric = async (metrics: Metrics, name: string, labels: string) => {
  const text = await metrics.registry.getSingleMetricAsString(name);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

/** The recorded json_cdr document as leg `uuid` reported by FreeSWITCH `coreUuid`, its variables changed by `variables` (undefined removes one). */
export function jsonCdr(uuid: string, coreUuid: string, variables: Record<string, string | undefined> = {}): string {
  const doc = JSON.parse(JSON_CDR.replaceAll(JSON_CDR_UUID, uuid)) as { 'core-uuid': string; variables: Record<string, string | undefined> };
  doc['core-uuid'] = coreUuid;
  Object.assign(doc.variables, variables);
  return JSON.stringify(doc);
}

export const postCdr = (r: Rig, body: string) =>
  r.ctx.app.inject({ method: 'POST', url: '/freeswitch/cdr', headers: { 'content-type': 'application/json' }, payload: body });

/**
 * A call of `tenantId` that node `server` reports over the event socket, unanswered and without a
 * hangup cause or recording: every field a second report could fill is empty.
 */
export function unansweredCall(server: FakeEslServer, tenantId: string): JsonEvent {
  const event = hangupEvent({
    variable_accountcode: tenantId,
    'Core-UUID': server.coreUuid,
    variable_answer_uepoch: '0',
    'Caller-Channel-Answered-Time': '0',
    variable_billsec: '0',
  });
  delete event.variable_hangup_cause;
  delete event['Hangup-Cause'];
  return event;
}

export const storedCdr = (r: Rig, uniqueId: string) => r.ctx.store.withIngest((db) => db.selectFrom('cdrs').selectAll().where('unique_id', '=', uniqueId).executeTakeFirstOrThrow());
export const keptAside = (r: Rig) => r.ctx.store.withIngest((db) => db.selectFrom('unattributed_cdrs').select(['unique_id', 'reason', 'record']).execute());

