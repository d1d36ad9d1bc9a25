/**
 * The phones of `npm run bench:register`: one SIPp (sip-tester) on loopback sending REGISTERs
 * with digest auth (RFC 3261 §22) at a fixed rate, each from the next user of an injection file
 * (`-inf`, `SEQUENTIAL`, `user;[authentication username=… password=…]`): REGISTER, 401,
 * REGISTER with credentials, 200. A REGISTER exchange that gets anything else, or no answer in
 * 4 s, fails. Results from SIPp's statistics file (`-trace_stat`) and its response times
 * (`-trace_rtt`, rtd 1 = first REGISTER sent → 200 received).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exited, stopChild, track } from '../../test/helpers/child-processes.js';
import { freeListenPort, freePort } from '../../test/helpers/sipp.js';

const SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="bench REGISTER">
  <send retrans="500" start_rtd="1">
    <![CDATA[

      REGISTER sip:DOMAIN SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@DOMAIN>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@DOMAIN>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
      Max-Forwards: 70
      Expires: 3600
      User-Agent: switchplane-bench
      Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true"/>
  <send retrans="500">
    <![CDATA[

      REGISTER sip:DOMAIN SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@DOMAIN>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@DOMAIN>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port];transport=[transport]>
      [field1]
      Max-Forwards: 70
      Expires: 3600
      User-Agent: switchplane-bench
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" rtd="1"/>
</scenario>
`;

export interface BenchUser {
  user: string;
  password: string;
}

export interface RegisterRun {
  offered: number;
  successful: number;
  failed: number;
  /** Seconds from the first REGISTER to the last exchange's end. */
  elapsed: number;
  /** Successful exchanges a second. */
  achieved: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** `hh:mm:ss` or `hh:mm:ss:mmm` (SIPp's elapsed time) in seconds. */
function seconds(text: string): number {
  const [h = 0, m = 0, s = 0, ms = 0] = text.split(':').map(Number);
  return h * 3600 + m * 60 + s + ms / 1000;
}

/** The last row of SIPp's statistics CSV, by column name. */
function lastStats(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0]!.split(';');
  const last = lines.at(-1)!.split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i] ?? '']));
}

/** Sends `rate` REGISTER exchanges a second for `durationS` seconds to `registrar` (host:port). */
export async function registerAt(registrar: string, domain: string, users: BenchUser[], rate: number, durationS: number): Promise<RegisterRun> {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-bench-sipp-'));
  try {
    writeFileSync(path.join(dir, 'register.xml'), SCENARIO.replaceAll('DOMAIN', domain));
    writeFileSync(path.join(dir, 'users.csv'), `SEQUENTIAL\n${users.map((u) => `${u.user};[authentication username=${u.user} password=${u.password}]`).join('\n')}\n`);
    const offered = Math.round(rate * durationS);
    const args = ['-sf', 'register.xml', '-inf', 'users.csv', '-i', '127.0.0.1', '-p', String(await freeListenPort()), '-cp', String(await freePort('udp')),
      '-r', String(rate), '-rp', '1000', '-m', String(offered), '-l', String(rate * 2), '-recv_timeout', '4000',
      '-aa', '-nostdin', '-trace_stat', '-stf', 'stats.csv', '-fd', '1', '-trace_rtt', '-rtt_freq', '1', '-timeout', `${durationS + 30}s`, registrar];
    const child = track(spawn('sipp', args, { cwd: dir, stdio: 'ignore' }));
    await exited(child);
    await stopChild(child, 'SIGTERM', 1000);
    const stats = lastStats(path.join(dir, 'stats.csv'));
    const rttFile = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
    const times = rttFile
      ? readFileSync(path.join(dir, rttFile), 'utf8').trim().split('\n').slice(1).map((l) => Number(l.split(';')[1])).filter(Number.isFinite).sort((a, b) => a - b)
      : [];
    const successful = Number(stats['SuccessfulCall(C)']);
    const elapsed = seconds(stats['ElapsedTime(C)'] ?? '0');
    return { offered, successful, failed: Number(stats['FailedCall(C)']), elapsed, achieved: successful / Math.max(elapsed, durationS), p50: percentile(times, 50), p99: percentile(times, 99) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
