/**
 * On the real FreeSWITCH 1.10.12: voicemail as the VoIP extensions guide describes it. 1006 is
 * registered and busy; a call from 1001 goes to its voicemail, where the caller leaves a message
 * (a 1 kHz tone sent as RTP); the phone's message-waiting indication lights (NOTIFY
 * Messages-Waiting: yes, RFC 3842); the API lists the message; 1006 dials *98, enters its PIN by
 * RFC 4733 DTMF, hears the message and saves it (key 2), which makes it read; then marking it new
 * again and deleting it through the API change what mod_voicemail reports and what the phone is told.
 * Each message's audio is downloadable through the API as a WAV (mod_audio_stream forked the
 * caller's audio to Switchplane from the start of the recording to its end): the tone the caller
 * sent, at its frequency, for as long as mod_voicemail recorded; after DELETE it is gone (404).
 * A message the caller ends by going silent (mod_voicemail's silence detection) while staying on
 * the line holds only the recording, not what the caller's line carried afterwards.
 * The test switch's prompts are beeps (test/freeswitch/lang/en.xml).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import {
  assertCleanLog,
  createCustomer,
  createExtension,
  startRealSwitch,
  until,
  type Customer,
  type Extension,
  type RealSwitch,
} from '../helpers/real-switch.js';
import { startRtpPeer, type RtpPeer } from '../helpers/rtp-peer.js';
import { readWav } from '../helpers/wav.js';
import { freeListenPort } from '../helpers/sipp.js';
import { runSipp, startSipp, type Sipp, type SippResult } from '../helpers/sipp-scenario.js';

t.setTimeout(300_000);
const PIN = '4321';
let rs: RealSwitch;
let acme: Customer;
let caller: Extension;
let mailboxOwner: Extension;
let phone: Sipp;
const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-voicemail-'));

/** The caller's tone: neither the prompts' 440 Hz beeps nor the 1 kHz beep before the recording. */
const TONE_HZ = 700;

/** A WAV file (8 kHz mono 16-bit) of a `hz` tone lasting `ms`. */
function toneWav(ms: number, hz = TONE_HZ): string {
  const samples = (8000 * ms) / 1000;
  const wav = Buffer.alloc(44 + samples * 2);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + samples * 2, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(8000, 24);
  wav.writeUInt32LE(16000, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)), 44 + i * 2);
  const file = path.join(dir, `tone-${ms}-${hz}.wav`);
  writeFileSync(file, wav);
  return file;
}

/** The longest run of loud packets the peer received one after the other, in packets of 20 ms. */
function longestLoudRun(peer: RtpPeer): number {
  let best = 0;
  let run = 0;
  let last = -2;
  for (const p of peer.received) {
    run = p.peak > 500 && p.seq === ((last + 1) & 0xffff) ? run + 1 : p.peak > 500 ? 1 : 0;
    last = p.seq;
    best = Math.max(best, run);
  }
  return best;
}

/** A call from `from` to `dest` whose audio is a test RTP peer; the caller hangs up after `holdMs`. */
async function callWithAudio(from: Extension, dest: string, holdMs: number): Promise<{ peer: RtpPeer; done: Promise<SippResult> }> {
  const peer = await startRtpPeer(t);
  const portFile = path.join(dir, `port-${from.number}-${Date.now()}`);
  const done = runSipp(t, {
    scenario: 'phone-call-rtp.xml',
    remote: rs.registrar,
    auth: { user: from.number, password: from.password },
    vars: { USER: from.number, DOMAIN: acme.sipDomain, DEST: dest, MEDIA_PORT: peer.port, PORT_FILE: portFile, HOLD_MS: holdMs },
    timeoutMs: holdMs + 30_000,
  });
  const port = await until('the call answered (FreeSWITCH\'s RTP port written)', () => existsSync(portFile) && Number(readFileSync(portFile, 'utf8').trim()));
  peer.start(port);
  return { peer, done };
}

/** What a downloaded message holds: its length, and the loud part's length, start and frequency. */
interface Heard {
  seconds: number;
  loudMs: number;
  firstLoudMs: number;
  hz: number;
}

/**
 * Downloads a message's audio with the customer's key and measures it: 20 ms frames whose RMS is
 * above 1000 are loud; the frequency is counted from the zero crossings of the loud frames.
 */
async function download(message: { id: string; audioUrl: string | null }): Promise<Heard> {
  const res = await fetch(`${rs.sp.url}/api/v1/extensions/${mailboxOwner.id}/voicemail/${message.id}/audio`, { headers: { authorization: `Bearer ${acme.key}` } });
  t.equal(res.status, 200, 'the message\'s audio downloads with the customer\'s key');
  t.equal(res.headers.get('content-type'), 'audio/wav');
  const file = path.join(dir, `${message.id}.wav`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  const { samples, sampleRate } = readWav(file);
  t.equal(sampleRate, 8000, 'a PCM WAV, mono 8 kHz 16-bit');
  let loud = 0;
  let first = -1;
  let crossings = 0;
  for (let f = 0; (f + 1) * 160 <= samples.length; f++) {
    const frame = samples.subarray(f * 160, (f + 1) * 160);
    if (Math.sqrt(frame.reduce((a, v) => a + v * v, 0) / 160) < 1000) continue;
    loud++;
    if (first < 0) first = f;
    for (let i = Math.max(1, f * 160); i < (f + 1) * 160; i++) if ((samples[i - 1]! < 0) !== (samples[i]! < 0)) crossings++;
  }
  const heard = { seconds: samples.length / 8000, loudMs: loud * 20, firstLoudMs: first * 20, hz: crossings / 2 / ((loud * 160) / 8000) };
  t.comment(`message ${message.id}: ${JSON.stringify(heard)}`);
  return heard;
}

const messages = async () => (await rs.sp.ok('GET', `/api/v1/extensions/${mailboxOwner.id}/voicemail`, undefined, acme.key)) as any[];
const waiting = (yn: 'yes' | 'no') => phone.messages().split(`Messages-Waiting: ${yn}`).length - 1;

t.before(async () => {
  rs = await startRealSwitch(t, 'voicemail');
  acme = await createCustomer(rs.sp, 'acme');
  caller = await createExtension(rs.sp, acme, { extensionNumber: '1001', displayName: 'Mario Rossi' });
  mailboxOwner = await createExtension(rs.sp, acme, { extensionNumber: '1006', voicemailEnabled: true, voicemailPin: PIN });
  const port = await freeListenPort();
  const registered = await runSipp(t, {
    scenario: 'register.xml',
    remote: rs.registrar,
    port,
    auth: { user: mailboxOwner.number, password: mailboxOwner.password },
    vars: { USER: mailboxOwner.number, DOMAIN: acme.sipDomain, EXPECT: 200, EXPIRES: 300, USER_AGENT: 'SIPp-phone-1006' },
    timeoutMs: 15_000,
  });
  t.equal(registered.code, 0, '1006 registered');
  phone = await startSipp(t, { scenario: 'phone-busy.xml', port, vars: { USER: mailboxOwner.number } });
});

t.test('1006 is busy: the caller leaves a message, the phone\'s message-waiting light goes on, the API lists it', async (t) => {
  const logFrom = rs.fs.log().length;
  const { peer, done } = await callWithAudio(caller, '1006', 7000);
  await peer.say(toneWav(8000));
  t.equal((await done).code, 0, 'answered by voicemail, hung up by the caller while recording');
  t.equal(rs.fs.logLines(/mod_audio_stream cmd: \S+ start /, logFrom).length, 1, 'the fork started when the recording did');
  t.equal(rs.fs.logLines(/mod_audio_stream cmd: \S+ stop/, logFrom).length, 0, 'no stop sent: the fork ended with the channel');
  t.equal(rs.fs.logLines(/EXECUTE .*voicemail\(default acme\.switchplane\.test 1006\)/, logFrom).length, 1, 'mod_voicemail took the call after the busy phone');
  await until('NOTIFY Messages-Waiting: yes at the phone', () => waiting('yes') > 0);
  const [message, ...more] = await until('the message listed', async () => ((await messages()).length > 0 ? messages() : null));
  t.same(more, [], 'one message');
  t.match(message, { callerNumber: '1001', read: false, readAt: null, urgent: false, node: 'fs1' });
  t.ok(message.durationSeconds >= 3 && message.durationSeconds <= 7, `as long as the caller spoke after the beep: ${message.durationSeconds} s`);
  t.equal(message.audioUrl, `/api/v1/customers/${acme.id}/extensions/${mailboxOwner.id}/voicemail/${message.id}/audio`, 'its audio is stored');
  const heard = await download(message);
  t.ok(heard.seconds >= message.durationSeconds - 0.5 && heard.seconds <= message.durationSeconds + 1.5, `the audio lasts the recording: ${heard.seconds} s for ${message.durationSeconds} s`);
  t.ok(heard.loudMs >= (heard.seconds - 0.5) * 1000, `the caller's tone from the start of the recording to its end: ${heard.loudMs} ms loud`);
  t.ok(Math.abs(heard.hz - TONE_HZ) < TONE_HZ * 0.03, `at the tone's frequency: ${heard.hz.toFixed(1)} Hz`);
  t.same((await rs.sp.ok('GET', `/api/v1/customers/${acme.id}/extensions/${mailboxOwner.id}/voicemail/${message.id}`, undefined, rs.sp.adminKey)).id, message.id, 'an admin reads it under /customers/{id}');
});

t.test('a caller who goes silent after speaking: mod_voicemail ends the message, its audio holds the message only; DELETE removes it', async (t) => {
  const before = new Set((await messages()).map((m) => m.id));
  const logFrom = rs.fs.log().length;
  const { peer, done } = await callWithAudio(caller, '1006', 14_000);
  // The greeting's and the instructions' 100 ms beeps, then the 640 ms 1 kHz beep before the recording.
  await until('the beep before the recording heard', () => longestLoudRun(peer) >= 25, 20_000);
  await new Promise((resolve) => setTimeout(resolve, 500));
  await peer.say(toneWav(3000));
  t.equal((await done).code, 0, 'the caller stayed on the line after the message and hung up');
  t.equal(rs.fs.logLines(/mod_audio_stream cmd: \S+ stop/, logFrom).length, 1, 'the fork was stopped when the recording ended (2 s of silence: record-silence-hits)');
  const message = await until('the message listed', async () => (await messages()).find((m) => !before.has(m.id)));
  t.ok(message.durationSeconds >= 4 && message.durationSeconds <= 7, `the tone and the silence that ended it: ${message.durationSeconds} s`);
  const heard = await download(message);
  t.ok(heard.seconds >= message.durationSeconds - 0.5 && heard.seconds <= message.durationSeconds + 1.5,
    `the audio lasts the recording, not the call (14 s): ${heard.seconds} s for ${message.durationSeconds} s`);
  t.ok(Math.abs(heard.loudMs - 3000) <= 300, `the 3 s tone: ${heard.loudMs} ms loud`);
  t.ok(heard.firstLoudMs <= 1500, `the recording's start: the tone begins ${heard.firstLoudMs} ms into the audio (sent 500 ms after the beep was heard)`);
  t.ok(Math.abs(heard.hz - TONE_HZ) < TONE_HZ * 0.03, `at the tone's frequency: ${heard.hz.toFixed(1)} Hz`);

  const url = `/api/v1/extensions/${mailboxOwner.id}/voicemail/${message.id}`;
  t.equal((await rs.sp.api('DELETE', url, undefined, acme.key)).status, 204, 'deleted');
  t.equal((await rs.sp.api('GET', `${url}/audio`, undefined, acme.key)).status, 404, 'its audio is gone');
  t.equal((await rs.sp.api('GET', url, undefined, acme.key)).status, 404, 'the message is gone');
  t.equal((await messages()).length, 1, 'the first message stays');
});

t.test('*98 from 1006: the PIN by DTMF, the message played, saved with 2: read, and the light goes off', async (t) => {
  const offBefore = waiting('no');
  const logFrom = rs.fs.log().length;
  const { peer, done } = await callWithAudio(mailboxOwner, '*98', 18_000);
  await until('the first prompt heard', () => peer.loud().length > 0);
  // FreeSWITCH drops the first RFC 4733 event of a call (seen in its log: RECV DTMF 3, 2, 1, #
  // for 4321#); a leading # is either dropped or an empty entry mod_voicemail asks again after.
  await peer.dtmf(`#${PIN}#`);
  // When the leading # was not dropped, mod_voicemail took it as an empty password, asked again
  // and flushed the digits behind it. Neither the login (mod_voicemail's display update, logged as
  // it opens the mailbox) nor anything longer than a prompt (50 frames) within 5 s, and nothing
  // playing now, means the PIN is entered once more.
  const loggedIn = () => rs.fs.logLines(/mod_voicemail\.c:\d+ Sending display update/, logFrom).length > 0;
  const started = await until('the mailbox opened', () => loggedIn() || longestLoudRun(peer) >= 50, 5000).then(() => true, () => false);
  const playingNow = peer.received.some((p) => p.at > performance.now() - 300 && p.peak > 500);
  if (!started && !playingNow) {
    t.comment(`no login 5 s after the PIN; FreeSWITCH logged: ${rs.fs.logLines(/DTMF|voicemail|password/i, logFrom).slice(-12).join(' | ')}`);
    await peer.dtmf(`${PIN}#`);
  }
  await until('the message heard: 3 s of its tone in one piece', () => longestLoudRun(peer) >= 150, 20_000);
  await peer.dtmf('2');
  await until('the message read', async () => (await messages())[0]?.read === true, 10_000);
  t.equal((await done).code, 0, 'the caller hung up');
  t.equal(rs.fs.logLines(/EXECUTE .*voicemail\(check default acme\.switchplane\.test 1006\)/, logFrom).length, 1, '*98 reached mod_voicemail\'s mailbox menu');
  t.ok(longestLoudRun(peer) < 400, 'the prompts are short beeps, the long sound is the message');
  await until('NOTIFY Messages-Waiting: no at the phone', () => waiting('no') > offBefore);
});

t.test('*98 with a wrong PIN does not open the mailbox', async (t) => {
  const logFrom = rs.fs.log().length;
  const { peer, done } = await callWithAudio(mailboxOwner, '*98', 5000);
  await until('the first prompt heard', () => peer.loud().length > 0);
  await peer.dtmf('#9999#');
  t.equal((await done).code, 0);
  t.ok(longestLoudRun(peer) < 50, 'no message played');
  t.equal((await messages())[0]?.read, true, 'the message is as it was');
  t.ok(rs.fs.logLines(/voicemail\(check default/, logFrom).length >= 1);
});

t.test('the API marks the message new again and deletes it; mod_voicemail and the phone follow', async (t) => {
  const [message] = await messages();
  const onBefore = waiting('yes');
  const url = `/api/v1/extensions/${mailboxOwner.id}/voicemail/${message.id}`;
  t.match(await rs.sp.ok('PATCH', url, { read: false }, acme.key), { id: message.id, read: false, readAt: null });
  await until('NOTIFY Messages-Waiting: yes again', () => waiting('yes') > onBefore);
  t.equal((await rs.fs.cli(`vm_boxcount 1006@${acme.sipDomain}`)).trim(), '1', 'mod_voicemail counts it new');

  const offBefore = waiting('no');
  t.equal((await rs.sp.api('DELETE', url, undefined, acme.key)).status, 204);
  t.same(await messages(), [], 'gone from the list');
  t.equal((await rs.sp.api('GET', url, undefined, acme.key)).status, 404);
  t.equal((await rs.sp.api('GET', `${url}/audio`, undefined, acme.key)).status, 404, 'its audio is gone too');
  t.equal((await rs.fs.cli(`vm_boxcount 1006@${acme.sipDomain}|all`)).trim(), '0:0:0:0', 'gone from mod_voicemail');
  await until('NOTIFY Messages-Waiting: no', () => waiting('no') > offBefore);
});

t.test('another tenant cannot reach the mailbox', async (t) => {
  const globex = await createCustomer(rs.sp, 'globex');
  t.equal((await rs.sp.api('GET', `/api/v1/extensions/${mailboxOwner.id}/voicemail`, undefined, globex.key)).status, 404);
  t.equal((await rs.sp.api('GET', `/api/v1/extensions/${mailboxOwner.id}/voicemail/${randomUUID()}/audio`, undefined, globex.key)).status, 404);
});

assertCleanLog(t, () => rs);
