/**
 * On the real FreeSWITCH 1.10.12: voicemail as the VoIP extensions guide describes it. 1006 is
 * registered and busy; a call from 1001 goes to its voicemail, where the caller leaves a message
 * (a 1 kHz tone sent as RTP); the phone's message-waiting indication lights (NOTIFY
 * Messages-Waiting: yes, RFC 3842); the API lists the message; 1006 dials *98, enters its PIN by
 * RFC 4733 DTMF, hears the message and saves it (key 2), which makes it read; then marking it new
 * again and deleting it through the API change what mod_voicemail reports and what the phone is told.
 * The test switch's prompts are beeps (test/freeswitch/lang/en.xml).
 */
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

/** A WAV file (8 kHz mono 16-bit) of a 1 kHz tone lasting `ms`. */
function toneWav(ms: number): string {
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
  for (let i = 0; i < samples; i++) wav.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)), 44 + i * 2);
  const file = path.join(dir, `tone-${ms}.wav`);
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
  t.equal(rs.fs.logLines(/EXECUTE .*voicemail\(default acme\.switchplane\.test 1006\)/, logFrom).length, 1, 'mod_voicemail took the call after the busy phone');
  await until('NOTIFY Messages-Waiting: yes at the phone', () => waiting('yes') > 0);
  const [message, ...more] = await until('the message listed', async () => ((await messages()).length > 0 ? messages() : null));
  t.same(more, [], 'one message');
  t.match(message, { callerNumber: '1001', read: false, readAt: null, urgent: false, node: 'fs1' });
  t.ok(message.durationSeconds >= 3 && message.durationSeconds <= 7, `as long as the caller spoke after the beep: ${message.durationSeconds} s`);
  t.same((await rs.sp.ok('GET', `/api/v1/customers/${acme.id}/extensions/${mailboxOwner.id}/voicemail/${message.id}`, undefined, rs.sp.adminKey)).id, message.id, 'an admin reads it under /customers/{id}');
});

t.test('*98 from 1006: the PIN by DTMF, the message played, saved with 2: read, and the light goes off', async (t) => {
  const offBefore = waiting('no');
  const logFrom = rs.fs.log().length;
  const { peer, done } = await callWithAudio(mailboxOwner, '*98', 15_000);
  await until('the first prompt heard', () => peer.loud().length > 0);
  // FreeSWITCH drops the first RFC 4733 event of a call (seen in its log: RECV DTMF 3, 2, 1, #
  // for 4321#); a leading # is either dropped or an empty entry mod_voicemail asks again after.
  await peer.dtmf(`#${PIN}#`);
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
  t.equal((await rs.fs.cli(`vm_boxcount 1006@${acme.sipDomain}|all`)).trim(), '0:0:0:0', 'gone from mod_voicemail');
  await until('NOTIFY Messages-Waiting: no', () => waiting('no') > offBefore);
});

t.test('another tenant cannot reach the mailbox', async (t) => {
  const globex = await createCustomer(rs.sp, 'globex');
  t.equal((await rs.sp.api('GET', `/api/v1/extensions/${mailboxOwner.id}/voicemail`, undefined, globex.key)).status, 404);
});

assertCleanLog(t, () => rs);
