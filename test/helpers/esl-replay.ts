/**
 * For tests that replay FreeSWITCH events into the ESL handlers (through an EslRig,
 * ./esl-controller.ts): the tracked legs of a recorded call, pushing events and waiting for them
 * and for what a handler wrote, reconnecting the link, an ingest store that can be held up and
 * failed, and the error counter.
 */
import { once } from 'node:events';
import type { Store } from '../../src/db/store.js';
import type { Metrics } from '../../src/metrics.js';
import type { EslRig } from './esl-controller.js';
import { recordedPlainEvents, type JsonEvent } from './esl-server.js';

/** A handler that writes in the background (a state tracker). */
interface Idler {
  /** Resolves once what was handled so far is written. */
  idle(): Promise<void>;
}

/** The events ChannelTracker (src/esl/channels.ts) follows. */
const TRACKED = new Set(['CHANNEL_CREATE', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_ANSWER', 'CHANNEL_BRIDGE', 'CHANNEL_HANGUP_COMPLETE']);

/**
 * The tracked events of the captured legs `legs` (old Unique-ID → new) of a capture, with every
 * uuid rewritten and `vars` (by new Unique-ID) added, as FreeSWITCH would send them for a
 * tenant's call.
 */
export function legEvents(file: string, legs: Record<string, string>, vars: Record<string, Record<string, string>>): JsonEvent[] {
  return recordedPlainEvents(file)
    .filter((e) => TRACKED.has(e['Event-Name'] as string) && legs[e['Unique-ID'] as string] !== undefined)
    .map((e) => {
      let text = JSON.stringify(e);
      for (const [from, to] of Object.entries(legs)) text = text.replaceAll(from, to);
      const event = JSON.parse(text) as JsonEvent;
      return { ...event, ...vars[event['Unique-ID'] as string] };
    });
}

/** `switchplane_errors_total` of `kind`. */
export async function errorCount(metrics: Metrics, kind: string): Promise<number> {
  return (await metrics.errors.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

/** Pushes `events` through the fake FreeSWITCH; resolves with how many it sent, once they all arrived. */
export async function arrive(rig: EslRig, events: JsonEvent[]): Promise<number> {
  const conn = rig.nodes.connections[0]!;
  let expected = 0;
  let seen = 0;
  await new Promise<void>((resolve) => {
    const onEvent = () => {
      if (++seen < expected) return;
      conn.off('event', onEvent);
      resolve();
    };
    conn.on('event', onEvent);
    for (const e of events) expected += rig.server.pushEvent(e);
    if (expected === 0) onEvent();
  });
  return expected;
}

/** `arrive`, then waits until the tracker has written what they caused. */
export async function deliver(rig: EslRig, tracker: Idler, events: JsonEvent[]): Promise<number> {
  const sent = await arrive(rig, events);
  await tracker.idle();
  return sent;
}

/** Drops node `fs1`'s link; resolves once it is up again and the tracker has written what its reconcile found. */
export async function reconnect(rig: EslRig, tracker: Idler): Promise<void> {
  const up = once(rig.nodes.connections[0]!, 'connected');
  rig.server.dropAll();
  await up;
  await tracker.idle();
}

/** An ingest store in front of a real one, which a test holds up and fails through the fields. */
export interface FlakyIngest {
  store: Pick<Store, 'withIngest'>;
  /** Transactions asked for. */
  transactions: number;
  /** When set, every transaction waits for it. */
  gate: Promise<void> | undefined;
  /** How many of the next transactions fail as a lost database connection would. */
  failures: number;
}

export function flakyIngest(real: Pick<Store, 'withIngest'>): FlakyIngest {
  const flaky: FlakyIngest = {
    transactions: 0,
    gate: undefined,
    failures: 0,
    store: {
      withIngest: async (fn) => {
        flaky.transactions++;
        await flaky.gate;
        if (flaky.failures-- > 0) throw new Error('Connection terminated unexpectedly');
        return real.withIngest(fn);
      },
    },
  };
  return flaky;
}
