/** A UDP socket on 127.0.0.1 that never answers and counts the datagrams it gets; closed at teardown. */
import dgram from 'node:dgram';
import type { Test } from 'tap';

export async function silentPeer(t: Test): Promise<{ port: number; received: () => number }> {
  const socket = dgram.createSocket('udp4');
  let count = 0;
  socket.on('message', () => count++);
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => socket.close(() => r())));
  return { port: socket.address().port, received: () => count };
}
