/**
 * The event source of `npm run bench:cdr`, run as a child process (fork, with IPC) so it has its
 * own event loop: a FakeEslServer (test/helpers/esl-server.ts, the mod_event_socket protocol)
 * that, when told `{ run, calls, tenants }`, sends that many synthetic calls (./cdr-calls.ts) to
 * its connected client as fast as the socket takes them: after each call, if `socket.write` has
 * buffered past the high-water mark, it waits for 'drain'.
 *
 * IPC: sends `{ port }` once listening; answers the go message with `{ eventsSent, sendMs,
 * cpuMs }` (events the server wrote, wall and CPU time of sending, ms). Exits when the parent
 * disconnects.
 */
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { FakeEslServer } from '../../test/helpers/esl-server.js';
import { callBuilder, type BenchTenant } from './cdr-calls.js';

export interface SenderGo {
  run: string;
  calls: number;
  tenants: BenchTenant[];
}

export interface SenderDone {
  eventsSent: number;
  sendMs: number;
  cpuMs: number;
}

const server = await FakeEslServer.start();

/** The authenticated client's socket: FakeEslServer writes to it in pushEvent but does not expose its backpressure. */
function clientSocket(): Socket {
  const clients = (server as unknown as { clients: Set<{ socket: Socket; authed: boolean }> }).clients;
  const client = [...clients].find((c) => c.authed);
  if (!client) throw new Error('no ESL client is connected');
  return client.socket;
}

async function send({ run, calls, tenants }: SenderGo): Promise<SenderDone> {
  const socket = clientSocket();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const call = callBuilder(run, tenants);
  let eventsSent = 0;
  for (let i = 0; i < calls; i++) {
    for (const event of call(i, Date.now() * 1000)) eventsSent += server.pushEvent(event);
    if (socket.writableNeedDrain) await once(socket, 'drain');
  }
  const { user, system } = process.cpuUsage(cpu);
  return { eventsSent, sendMs: performance.now() - started, cpuMs: (user + system) / 1000 };
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
