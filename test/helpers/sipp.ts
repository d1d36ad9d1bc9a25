/**
 * SIPp (sip-tester, installed by scripts/test-setup.sh) as a real SIP peer on loopback: a UAS that
 * answers OPTIONS with 200 OK (test/sip/sipp/options-uas.xml), stopped when the test ends.
 */
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { probeOptions } from '../../src/sip/options-probe.js';

const SCENARIO = fileURLToPath(new URL('../sip/sipp/options-uas.xml', import.meta.url));
const LOOPBACK = '127.0.0.1';

/** A loopback port that was free a moment ago (bound on port 0, then released). */
export async function freePort(kind: 'udp' | 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, resolve));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(resolve));
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** SIPp playing test/sip/sipp/options-uas.xml; resolves with its SIP port once it answers OPTIONS. */
export async function startSipp(t: Test, transport: 'udp' | 'tcp'): Promise<number> {
  const port = await freePort(transport);
  const args = ['-sf', SCENARIO, '-i', LOOPBACK, '-p', String(port), '-t', transport === 'udp' ? 'u1' : 't1'];
  args.push('-cp', String(await freePort('udp')), '-nostdin'); // own control port, no keyboard
  const sipp = spawn('sipp', args, { cwd: tmpdir(), stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => sipp.once('exit', () => resolve()));
  t.teardown(() => {
    sipp.kill();
    return exited;
  });
  for (let attempt = 0; attempt < 100; attempt++) {
    if (sipp.exitCode !== null || sipp.signalCode !== null) throw new Error(`sipp exited (${sipp.exitCode ?? sipp.signalCode})`);
    if ((await probeOptions({ host: LOOPBACK, port, transport }, { timeoutMs: 200 })).reachable) return port;
    await sleep(100);
  }
  throw new Error(`sipp did not answer on ${transport} port ${port}`);
}

