/**
 * On the real FreeSWITCH 1.10.12, W3 Suite guide `recordingUrl: "https://…"`: an extension that
 * records its calls is recorded in both directions, a carrier's call to it through a DID and its
 * own call out through a trunk. mod_audio_stream forks the answered leg in stereo to Switchplane,
 * which stores the WAV in the database; the CDR's recordingUrl downloads it through the API. The
 * caller's media is a test RTP socket speaking a recorded sentence; the other side (the phone, the
 * carrier) echoes what it hears (SIPp -rtp_echo), so both channels of the recording carry speech.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import wavefile from 'wavefile';
import { startRtpPeer, type RtpPeer } from '../helpers/rtp-peer.js';
import {
  assertCleanLog,
  carrierAdmitted,
  cdrsOf,
  createCustomer,
  createExtension,
  startPhone,
  startRealSwitch,
  until,
  type Customer,
  type Extension,
  type RealSwitch,
} from '../helpers/real-switch.js';
import { startSipp, type Sipp } from '../helpers/sipp-scenario.js';
import { durationMs, readWav } from '../helpers/wav.js';

t.setTimeout(240_000);
let rs: RealSwitch;
let acme: Customer;
let carrier: Sipp;
const ext: Record<string, Extension> = {};
const DID = '+15550100300';
const SENTENCE = 'caller-internet-down.wav';

t.before(async () => {
  rs = await startRealSwitch(t, 'recordings');
  acme = await createCustomer(rs.sp, 'acme');
  ext['1001'] = await createExtension(rs.sp, acme, { extensionNumber: '1001', callRecording: true });
  ext['1002'] = await createExtension(rs.sp, acme, { extensionNumber: '1002', callRecording: true });
  carrier = await startSipp(t, { scenario: 'carrier-uas.xml', rtpEcho: true });
  const trunk = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'carrier', host: '127.0.0.1', port: carrier.port }, acme.key);
  await rs.sp.ok('POST', '/api/v1/phone-numbers', { number: DID, trunkId: trunk.id, route: 'extension', routeTarget: '1002' }, acme.key);
  await carrierAdmitted(rs);
  await until('the gateway loaded', async () => (await rs.fs.cli('sofia status gateway')).includes(trunk.gatewayName));
});

/** Starts `rtp` sending to FreeSWITCH once the scenario wrote FreeSWITCH's RTP port to `portFile`. */
async function mediaFlowing(rtp: RtpPeer, portFile: string): Promise<void> {
  rtp.start(await until('the call answered (FreeSWITCH RTP port known)', () => existsSync(portFile) && Number(readFileSync(portFile, 'utf8').trim())));
}

const portFileIn = () => path.join(mkdtempSync(path.join(tmpdir(), 'switchplane-rtp-')), 'port');

/** 20 ms frames of `samples` whose peak is above 1000 (speech, not silence or comfort noise). */
function loudFrames(samples: Int16Array): number {
  return loudness(samples).filter(Boolean).length;
}

/** For each 20 ms frame of `samples`: whether its peak is above 1000. */
function loudness(samples: Int16Array): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    let peak = 0;
    for (let j = i; j < i + 160; j++) peak = Math.max(peak, Math.abs(samples[j]!));
    out.push(peak > 1000);
  }
  return out;
}

/**
 * The recorded call's CDR (the leg whose recordingUrl is set and whose Unique-ID the recording
 * names), its recording as the API lists it, and the WAV downloaded from the CDR's recordingUrl.
 */
async function recordingOf(t: Test, callerNumber: string) {
  const named = await until('a CDR of the call naming a recording', async () => (await cdrsOf(rs.sp, acme)).find((c) => c.callerNumber === callerNumber && c.recordingUrl));
  const id = String(named.recordingUrl).split('/').at(-2);
  const recording = await until('the recording stored', async () => {
    const res = await rs.sp.api('GET', `/api/v1/recordings/${id}`, undefined, acme.key);
    return res.status === 200 && res.body.data;
  });
  const cdr = await until('the recorded leg\'s CDR', async () => (await cdrsOf(rs.sp, acme)).find((c) => c.callId === recording.callId));
  t.equal(cdr.recordingUrl, recording.recordingUrl, 'the CDR\'s recordingUrl is the recording\'s API URL');
  const res = await fetch(`${rs.sp.url}${cdr.recordingUrl}`, { headers: { authorization: `Bearer ${acme.key}` } });
  t.equal(res.status, 200, 'downloaded with the customer\'s key');
  t.equal(res.headers.get('content-type'), 'audio/wav');
  const wav = new wavefile.WaveFile(new Uint8Array(await res.arrayBuffer()));
  t.match(wav.fmt, { audioFormat: 1, numChannels: 2, sampleRate: 8000, bitsPerSample: 16 }, 'a PCM WAV, stereo 8 kHz 16-bit');
  const [left, right] = wav.getSamples(false, Int16Array) as unknown as Int16Array[];
  return { cdr, recording, left: left!, right: right! };
}

function bothWays(t: Test, r: Awaited<ReturnType<typeof recordingOf>>, leftWho: string, rightWho: string) {
  const sentenceFrames = durationMs(readWav(SENTENCE)) / 20;
  const seconds = r.left.length / 8000;
  t.comment(`recording ${seconds} s, CDR billsec ${r.cdr.billableSeconds} s; loud 20 ms frames: left ${loudFrames(r.left)}, right ${loudFrames(r.right)} (the sentence has ${sentenceFrames})`);
  t.equal(r.recording.status, 'complete');
  t.ok(Math.abs(r.recording.durationSeconds - seconds) < 0.001, 'the listed duration is the WAV\'s');
  t.ok(Math.abs(seconds - r.cdr.billableSeconds) <= 1, `the recording lasts the answered call: ${seconds} s for billsec ${r.cdr.billableSeconds} s`);
  t.ok(loudFrames(r.left) >= sentenceFrames / 4, `left channel: ${leftWho} speaking`);
  t.ok(loudFrames(r.right) >= sentenceFrames / 4, `right channel: ${rightWho} (the echo of it)`);
  const [speaks, echoes] = [loudness(r.left).indexOf(true), loudness(r.right).indexOf(true)];
  t.ok(echoes > speaks, `the right channel is the other side: its echo starts ${(echoes - speaks) * 20} ms after the speech on the left`);
}

t.test('a carrier calls the DID of 1002, which records its calls: both directions recorded and downloadable', async (t) => {
  const phone = await startPhone(t, rs, acme, ext['1002']!, 200, { rtpEcho: true });
  const rtp = await startRtpPeer(t);
  const portFile = portFileIn();
  const caller = await startSipp(t, {
    scenario: 'carrier-call-rtp.xml', remote: rs.carrierSide, timeoutMs: 90_000,
    vars: { DID, CALLER: '+15557770001', MEDIA_PORT: rtp.port, PORT_FILE: portFile },
  });
  await mediaFlowing(rtp, portFile);
  await rtp.say(SENTENCE);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await rs.fs.cli('hupall NORMAL_CLEARING');
  t.equal((await caller.done).code, 0, 'the carrier\'s call was answered and ended by the switch');
  t.equal((await phone.done).code, 0, '1002 answered');
  const r = await recordingOf(t, '+15557770001');
  t.match(r.cdr, { direction: 'inbound', disposition: 'ANSWERED' });
  t.equal(r.recording.extensionId, ext['1002']!.id, 'the recording is 1002\'s');
  bothWays(t, r, 'the carrier\'s caller', '1002');
});

t.test('1001, which records its calls, calls out through the trunk; the carrier answers: recorded both ways', async (t) => {
  const rtp = await startRtpPeer(t);
  const portFile = portFileIn();
  const caller = await startSipp(t, {
    scenario: 'call-rtp.xml', remote: rs.registrar, auth: { user: '1001', password: ext['1001']!.password }, timeoutMs: 60_000,
    vars: { USER: '1001', DOMAIN: acme.sipDomain, DEST: '+15550000777', MEDIA_PORT: rtp.port, PORT_FILE: portFile, HOLD_MS: 4000 },
  });
  await mediaFlowing(rtp, portFile);
  await rtp.say(SENTENCE);
  t.equal((await caller.done).code, 0, 'answered by the carrier, hung up by 1001');
  t.match(carrier.messages(), /INVITE sip:\+15550000777@/, 'the trunk carried the call');
  const r = await recordingOf(t, '1001');
  t.match(r.cdr, { direction: 'outbound', disposition: 'ANSWERED' });
  t.equal(r.recording.extensionId, ext['1001']!.id, 'the recording is 1001\'s');
  bothWays(t, r, '1001', 'the carrier');
});

assertCleanLog(t, () => rs);
