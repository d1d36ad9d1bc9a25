/**
 * The event source of `npm run bench:cdr`, run as a child process (fork, with IPC) so it has its
 * own event loop: a FakeEslServer (test/helpers/esl-server.ts, the mod_event_socket protocol)
 * that, when told `{ run, calls, tenants, rate }`, sends that many synthetic calls
 * (./cdr-calls.ts) to its connected client:
 * - without a rate, as fast as the socket takes them: after each call, if the socket has
 *   buffered past its high-water mark, it waits until it has drained (`server.drained()`);
 * - with `rate` calls/s, evenly: every TICK_MS it sends the calls due by then (rate × TICK_MS /
 *   1000 a tick; call i is due TICK_MS × ⌊i / (rate × TICK_MS / 1000)⌋ ms after the start), on an
 *   absolute schedule, so a tick that fires late catches up rather than lowering the rate. It
 *   still waits for the socket to drain after a call; a call sent after its tick is counted in
 *   `behindMs`.
 * Either way each call's CHANNEL_HANGUP_COMPLETE gets its `Event-Date-Timestamp` when it is
 * written, so the bench's event-to-row latency starts at the send, not at a schedule.
 *
 * IPC: sends `{ port }` once listening; answers the go message with `{ eventsSent, sendMs,
 * cpuMs, behindMs }` (events the server wrote; wall and CPU time of sending, ms; how late
 * against its tick the latest call went out, ms, 0 without a rate). Exits when the parent
 * disconnects.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeEslServer, type JsonEvent } from '../../test/helpers/esl-server.js';
import { callBuilder, TICK_MS, type BenchTenant } from './cdr-calls.js';

export interface SenderGo {
  run: string;
  calls: number;
  tenants: BenchTenant[];
  /** Calls a second; undefined = as fast as the socket takes them. */
  rate?: number;
}

export interface SenderDone {
  eventsSent: number;
  sendMs: number;
  cpuMs: number;
  behindMs: number;
}

const server = await FakeEslServer.start();

/** Writes one call's events, stamping the hangup as it goes out; returns the events written. */
function sendCall(events: JsonEvent[]): number {
  let sent = 0;
  for (const event of events) {
    if (event['Event-Name'] === 'CHANNEL_HANGUP_COMPLETE') event['Event-Date-Timestamp'] = String(Date.now() * 1000);
    sent += server.pushEvent(event);
  }
  return sent;
}

async function send({ run, calls, tenants, rate }: SenderGo): Promise<SenderDone> {
  if (!server.authedClients) throw new Error('no ESL client is connected');
  const cpu = process.cpuUsage();
  const started = performance.now();
  const call = callBuilder(run, tenants);
  let eventsSent = 0;
  let behindMs = 0;
  if (!rate) {
    for (let i = 0; i < calls; i++) {
      eventsSent += sendCall(call(i, Date.now() * 1000));
      await server.drained();
    }
  } else {
    const perTick = (rate * TICK_MS) / 1000;
    for (let i = 0, tick = 0; i < calls; ) {
      // Every call of this tick and of any tick missed since (call i is due in tick ⌊i / perTick⌋).
      tick = Math.floor((performance.now() - started) / TICK_MS);
      for (const due = Math.min(calls, Math.ceil((tick + 1) * perTick)); i < due; i++) {
        behindMs = Math.max(behindMs, performance.now() - started - Math.floor(i / perTick) * TICK_MS);
        eventsSent += sendCall(call(i, Date.now() * 1000));
        await server.drained();
      }
      if (i < calls) await sleep(Math.max(0, started + Math.floor(i / perTick) * TICK_MS - performance.now()));
    }
  }
  const { user, system } = process.cpuUsage(cpu);
  return { eventsSent, sendMs: performance.now() - started, cpuMs: (user + system) / 1000, behindMs };
}

process.on('message', (go: SenderGo) => {
  send(go).then(
    (done) => process.send!(done),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
});
process.on('disconnect', () => void server.stop().then(() => process.exit(0)));
process.send!({ port: server.port });
