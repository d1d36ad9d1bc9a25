/**
 * SIPp (sip-tester, installed by scripts/test-setup.sh) as a real SIP peer on loopback: a UAS that
 * answers OPTIONS with 200 OK (test/sip/sipp/options-uas.xml), stopped when the test ends.
 */
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeOptions } from '../../src/sip/options-probe.js';
import { eventually } from './eventually.js';

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

/** Whether `port` on loopback can be bound for `kind` right now (bound, then released). */
async function canBind(kind: 'udp' | 'tcp', port: number): Promise<boolean> {
  if (kind === 'udp') {
    const socket = dgram.createSocket('udp4');
    const bound = await new Promise<boolean>((resolve) => {
      socket.once('error', () => resolve(false));
      socket.bind(port, LOOPBACK, () => resolve(true));
    });
    if (bound) await new Promise<void>((resolve) => socket.close(() => resolve()));
    return bound;
  }
  const server = net.createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => resolve(true));
  });
  if (bound) await new Promise<void>((resolve) => server.close(() => resolve()));
  return bound;
}

/**
 * Where `freeListenPort` records the ports it hands out, one file per port holding the PID of the
 * test process it went to: tap runs test files side by side, and a port another file was handed
 * is free until its child binds it, seconds later (a Switchplane start). A file whose process is
 * gone is taken over; a process removes its own files when it exits.
 */
const RESERVED = path.join(tmpdir(), 'switchplane-test-ports');
const reservedHere: string[] = [];
let removeAtExit = false;

/** Whether `pid` is a running process (signal 0 probes without sending). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Claims `port` for this process unless a running test process holds it. */
function reserve(port: number): boolean {
  if (!removeAtExit) {
    mkdirSync(RESERVED, { recursive: true });
    process.once('exit', () => reservedHere.forEach((file) => rmSync(file, { force: true })));
    removeAtExit = true;
  }
  const file = path.join(RESERVED, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      reservedHere.push(file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(file, 'utf8'));
      if (!holder || alive(holder)) return false; // empty: its writer is between open and write
      rmSync(file, { force: true });
    }
  }
  return false;
}

/**
 * A loopback port for a child process to listen on later, free for both TCP and UDP a moment
 * ago and handed to no other running test process (RESERVED), from 20000–31999: below Linux's
 * ephemeral range (net.ipv4.ip_local_port_range, 32768–60999), so an outgoing connection cannot
 * take it before the child binds, as it can a `freePort` port (FreeSWITCH's SIP profiles bind UDP
 * and TCP on one port and log `Error Creating SIP UA` when it is taken), and clear of the test
 * switch's RTP ports (17100–17999).
 */
export async function freeListenPort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (!reserve(port)) continue;
    if ((await canBind('tcp', port)) && (await canBind('udp', port))) return port;
  }
  throw new Error('no port from 20000 to 31999 is free on 127.0.0.1 for both TCP and UDP');
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
  const state = await eventually(`sipp answering OPTIONS on ${transport} port ${port}`, async () => {
    if (sipp.exitCode !== null || sipp.signalCode !== null) return 'exited';
    return (await probeOptions({ host: LOOPBACK, port, transport }, { timeoutMs: 200 })).reachable && 'up';
  }, { timeoutMs: 30_000, intervalMs: 100 });
  if (state === 'exited') throw new Error(`sipp exited (${sipp.exitCode ?? sipp.signalCode})`);
  return port;
}

