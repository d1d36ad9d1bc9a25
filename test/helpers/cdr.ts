/**
 * CDR test helpers: hangup events made from the recorded 9999 call for a demo tenant, and a demo
 * app with a CDR writer on a spool in a fresh temporary directory.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { CdrSpool } from '../../src/cdr/spool.js';
import { CdrWriter, type CdrWriterOptions } from '../../src/cdr/writer.js';
import type { Store } from '../../src/db/store.js';
import type { Metrics } from '../../src/metrics.js';
import { demoApp, type TestApp } from './app.js';
import type { Backend } from './backends.js';
import { recordedEvents, type JsonEvent } from './esl-server.js';

const RECORDED = recordedEvents('call-json.txt');
/** The recorded CHANNEL_HANGUP_COMPLETE of the 9999 call (answered, 3 s, NORMAL_CLEARING). */
export const RECORDED_HANGUP = RECORDED.find((e) => e['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE')!;

/**
 * The recorded hangup as another leg: a new Unique-ID, `fields` on top (e.g. `variable_accountcode`).
 * Event-Date-Timestamp is now, so write latency is measured from now.
 */
export function hangupEvent(fields: Record<string, string> = {}): JsonEvent {
  const uuid = randomUUID();
  return {
    ...RECORDED_HANGUP,
    'Unique-ID': uuid,
    'Channel-Call-UUID': uuid,
    'Caller-Unique-ID': uuid,
    variable_uuid: uuid,
    variable_call_uuid: uuid,
    'Event-Date-Timestamp': String(Date.now() * 1000),
    ...fields,
  };
}

export interface CdrRig extends TestApp {
  writer: CdrWriter;
  spoolDir: string;
  acmeId: string;
  globexId: string;
  trunkId(name: string): Promise<string>;
  extensionId(tenantId: string, extension: string): Promise<string>;
  /** What writers reported through onError. */
  errors: unknown[];
  /** A writer over the same spool and database (a restarted Switchplane). */
  newWriter(opts?: Partial<CdrWriterOptions>): CdrWriter;
}

export async function cdrRig(
  t: Test,
  backend: Backend,
  { store: wrap, ...opts }: Omit<Partial<CdrWriterOptions>, 'store'> & { store?: (s: Store) => Store } = {},
): Promise<CdrRig> {
  const spoolDir = mkdtempSync(path.join(tmpdir(), 'switchplane-spool-'));
  const errors: unknown[] = [];
  const make = (store: Store, metrics: Metrics, o: Partial<CdrWriterOptions> = {}) =>
    new CdrWriter({
      store: wrap ? wrap(store) : store,
      spool: new CdrSpool(spoolDir),
      metrics,
      onError: (err) => errors.push(err),
      flushIntervalMs: 10,
      retry: { minMs: 5, maxMs: 40 },
      ...opts,
      ...o,
    });
  let writer!: CdrWriter;
  const ctx = await demoApp(backend, {}, false, ({ store, metrics }) => {
    writer = make(store, metrics);
    return { cdrs: writer };
  });
  writer.start();
  const tenants = await ctx.store.withOperator((db) => db.selectFrom('tenants').select(['id', 'slug']).execute());
  const id = (slug: string) => tenants.find((x) => x.slug === slug)!.id;
  t.teardown(async () => {
    await writer.stop();
    await ctx.close();
    rmSync(spoolDir, { recursive: true, force: true });
  });
  return {
    ...ctx,
    writer,
    spoolDir,
    acmeId: id('acme'),
    globexId: id('globex'),
    trunkId: async (name) => (await ctx.store.withTenant(id('acme'), (db) => db.selectFrom('trunks').select('id').where('name', '=', name).executeTakeFirstOrThrow())).id,
    extensionId: async (tenantId, extension) =>
      (await ctx.store.withTenant(tenantId, (db) => db.selectFrom('extensions').select('id').where('extension', '=', extension).executeTakeFirstOrThrow())).id,
    newWriter: (o) => make(ctx.store, ctx.metrics, o),
    errors,
  };
}
