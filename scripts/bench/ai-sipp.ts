/**
 * The SIP side of `npm run bench:ai`: one SIPp process per step, whose calls' media are the
 * bench's own RTP sockets (scripts/bench/ai-callers.ts). Either
 * - `carrier`: a carrier placing N calls to the AI numbers on the external profile (SIPp UAC, one
 *   line of an injection file per call: DID;media port;caller), each waiting for FreeSWITCH's BYE; or
 * - `phone`: a UAS answering the calls FreeSWITCH originates to `<media port>@127.0.0.1:<its port>`
 *   (the ceiling), its SDP naming the media port the request URI gave.
 * Both append `<media port> <FreeSWITCH's RTP port>` to PORTS once the SDP exchange is done, so
 * the callers know where to send. Stopped by PID (TERM, then KILL).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exited, stopChild, track } from '../../test/helpers/child-processes.js';
import { freePort } from '../../test/helpers/sipp.js';

const SDP = (port: string) => `v=0
o=bench 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio ${port} RTP/AVP 0
a=rtpmap:0 PCMU/8000
`;

const CARRIER = (ports: string) => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bench:ai carrier call to an AI number">
  <send retrans="500"><![CDATA[

INVITE sip:[field0]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field2]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[field0]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[field2]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${SDP('[field1]')}
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true" timeout="60000">
    <action>
      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="mline,rtpport"/>
      <exec command="echo [field1] [$rtpport] >> ${ports}"/>
    </action>
  </recv>
  <Reference variables="mline"/>
  <send><![CDATA[

ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field2]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
[routes]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
  <recv request="BYE" timeout="600000"/>
  <send><![CDATA[

SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
`;

const PHONE = (ports: string) => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="bench:ai phone answering the switch's call">
  <recv request="INVITE" crlf="true">
    <action>
      <ereg regexp="^INVITE sip:([0-9]+)@" search_in="msg" check_it="true" assign_to="ruri,mport"/>
      <ereg regexp="m=audio ([0-9]+)" search_in="body" check_it="true" assign_to="mline,rtpport"/>
      <exec command="echo [$mport] [$rtpport] >> ${ports}"/>
    </action>
  </recv>
  <Reference variables="ruri,mline"/>
  <send><![CDATA[

SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

${SDP('[$mport]')}
]]></send>
  <recv request="ACK"/>
  <recv request="BYE" timeout="600000"/>
  <send><![CDATA[

SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
`;

export interface BenchSipp {
  /** SIPp's SIP port. */
  port: number;
  /** `<media port> → FreeSWITCH's RTP port` of every call whose SDP exchange is done. */
  answered(): Map<number, number>;
  /** SIPp's error file so far (last 2000 characters). */
  errors(): string;
  stop(): Promise<void>;
}

export interface SippCalls {
  /** Scratch folder of the step. */
  dir: string;
  /** `carrier`: calls placed to `remote` (host:port), `rate` a second; `phone`: a UAS. */
  mode: 'carrier' | 'phone';
  remote?: string;
  rate?: number;
  /** Carrier: one per call, `{ did, mediaPort, caller }`. */
  calls?: Array<{ did: string; mediaPort: number; caller: string }>;
}

/** Starts SIPp for a step; resolves once it runs. */
export async function startBenchSipp(opts: SippCalls): Promise<BenchSipp> {
  const portsFile = path.join(opts.dir, 'ports');
  const scenario = path.join(opts.dir, `${opts.mode}.xml`);
  writeFileSync(portsFile, '');
  writeFileSync(scenario, (opts.mode === 'carrier' ? CARRIER : PHONE)(portsFile));
  const port = await freePort('udp');
  const errorFile = path.join(opts.dir, 'errors.log');
  const args = ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-mp', String(await freePort('udp')), '-cp', String(await freePort('udp'))];
  args.push('-aa', '-nostdin', '-trace_err', '-error_file', errorFile, '-max_recv_loops', '10000');
  if (opts.mode === 'carrier') {
    const calls = opts.calls ?? [];
    const inf = path.join(opts.dir, 'calls.csv');
    writeFileSync(inf, `SEQUENTIAL\n${calls.map((c) => `${c.did};${c.mediaPort};${c.caller}`).join('\n')}\n`);
    args.push('-inf', inf, '-m', String(calls.length), '-l', String(calls.length), '-r', String(opts.rate ?? 10), opts.remote!);
  }
  const child = track(spawn('sipp', args, { cwd: opts.dir, stdio: 'ignore' }));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
  if (child.exitCode !== null) throw new Error(`sipp ${opts.mode} exited at start (${child.exitCode}): ${read(errorFile).slice(-2000)}`);
  return {
    port,
    answered() {
      const map = new Map<number, number>();
      for (const line of read(portsFile).split('\n')) {
        const [media, rtp] = line.trim().split(/\s+/).map(Number);
        if (media && rtp) map.set(media, rtp);
      }
      return map;
    },
    errors: () => read(errorFile).slice(-2000),
    async stop() {
      await stopChild(child, 'SIGTERM', 5000);
      await exited(child);
    },
  };
}
