/**
 * A TCP relay on 127.0.0.1 that a test can cut: Switchplane's event socket connection goes through
 * it to the real FreeSWITCH, so the test can drop that connection mid-call (and refuse new ones)
 * without touching either side; or so that it can read what each client sent (e.g. every `api`
 * command Switchplane sent to FreeSWITCH, which the switch itself does not log). Closed when the
 * test ends.
 */
import net from 'node:net';
import type { Test } from 'tap';

export interface TcpProxy {
  port: number;
  /** Destroys every relayed connection and refuses new ones until `restore()`. */
  cut(): void;
  restore(): void;
  /** What the client of each relayed connection sent so far (latin1 text), in the order they connected. */
  sent(): string[];
}

export async function startTcpProxy(t: Test, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const sent: string[] = [];
  let open = true;
  const server = net.createServer((client) => {
    if (!open) return void client.destroy();
    const i = sent.push('') - 1;
    client.on('data', (chunk: Buffer) => (sent[i] += chunk.toString('latin1')));
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      open = false;
      for (const s of sockets) s.destroy();
    },
    restore() {
      open = true;
    },
    sent: () => [...sent],
  };
}
