/**
 * The /phone page on the real FreeSWITCH 1.10.12, in headless Chromium with its fake microphone:
 * an agent logs in, the page registers the agent's extension over the internal profile's plain
 * ws-binding (SOFIA_WS_PORT, 127.0.0.1) with SIP.js, calls an extension answered by a SIPp phone
 * that echoes RTP (WebRTC media: ICE, DTLS-SRTP, OPUS to the browser, PCMU to SIPp; packets
 * counted both ways by the browser's getStats), sends DTMF, holds and resumes (FreeSWITCH sees the
 * hold; audio flows both ways again after the resume, and the hang up reaches the other phone), takes a call from a SIPp caller (ring shown, answered in the page), blind-transfers a
 * call to another extension (REFER: the caller ends up talking to the target, as the CDRs show),
 * turns Do not disturb on (callers get busy), and says so plainly when the registration is refused.
 * Screenshots of each state in test-output/screenshots/softphone-*.png.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { buildPortal, login, openBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import {
  assertCleanLog, bridgedCall, cdrsOf, createCustomer, createExtension, startPhone, startRealSwitch, until,
  type Customer, type Extension, type RealSwitch,
} from '../helpers/real-switch.js';
import { runSipp } from '../helpers/sipp-scenario.js';

t.setTimeout(420_000); // the real switch, a browser, four calls in real time
const AGENT = { email: 'agent@phone.switchplane.test', password: 'phone-agent-password-1' };
/** Chromium on loopback: ICE host candidates on 127.0.0.1 (not mDNS names), and the ring may play without a click. */
const WEBRTC_ON_LOOPBACK = ['--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns', '--autoplay-policy=no-user-gesture-required'];

let rs: RealSwitch;
let c: Customer;
let session: BrowserSession;
let page: Page;
/** The agent's extension (the browser), a callee, a transfer target and a caller (SIPp each). */
let agentExt: Extension;
let callee: Extension;
let target: Extension;
let caller: Extension;

t.before(async () => {
  await buildPortal();
  rs = await startRealSwitch(t, 'softphone');
  c = await createCustomer(rs.sp, 'phone', { timezone: 'UTC' });
  agentExt = await createExtension(rs.sp, c, { extensionNumber: '2001', displayName: 'Paula Agent' });
  callee = await createExtension(rs.sp, c, { extensionNumber: '2002' });
  target = await createExtension(rs.sp, c, { extensionNumber: '2003' });
  caller = await createExtension(rs.sp, c, { extensionNumber: '2004', displayName: 'Carlo Caller' });
  const { inviteLink } = await rs.sp.ok('POST', `/api/v1/customers/${c.id}/users`, { email: AGENT.email, name: 'Paula Agent', role: 'agent', extensionId: agentExt.id });
  const token = new URL(inviteLink, rs.sp.url).searchParams.get('token');
  const accepted = await fetch(`${rs.sp.url}/api/v1/auth/accept`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: AGENT.password }) });
  if (accepted.status !== 200) throw new Error(`accepting the invitation answered ${accepted.status}: ${await accepted.text()}`);
  session = await openBrowser(t, { baseURL: rs.sp.url, args: WEBRTC_ON_LOOPBACK });
  page = session.page;
});

/** The page's count of RTP packets of the call in progress (from RTCPeerConnection getStats). */
async function mediaCounts(p: Page = page): Promise<{ received: number; sent: number } | null> {
  const el = p.getByTestId('media-counts');
  if ((await el.count()) === 0) return null;
  return { received: Number(await el.getAttribute('data-received')), sent: Number(await el.getAttribute('data-sent')) };
}

/** Waits until the browser counted more than `atLeast` packets each way; resolves with the counts. */
function mediaFlows(what: string, atLeast: number, since = { received: 0, sent: 0 }): Promise<{ received: number; sent: number }> {
  return until(`${what}: more than ${atLeast} RTP packets each way`, async () => {
    const n = await mediaCounts();
    return n && n.received - since.received > atLeast && n.sent - since.sent > atLeast && n;
  }, 20_000);
}

/** `show channels as json` rows of FreeSWITCH. */
async function channels(): Promise<Array<Record<string, string>>> {
  return (JSON.parse(await rs.fs.cli('show channels as json')) as { rows?: Array<Record<string, string>> }).rows ?? [];
}

const status = () => page.getByRole('status').filter({ hasText: /registered|connecting|reconnecting|refused/i }).first();

t.test('an agent opens /phone: the page registers the extension over WebSocket', async (t) => {
  await login(page, AGENT.email, AGENT.password);
  const started = Date.now();
  await page.goto('/phone');
  await page.getByRole('heading', { level: 1, name: 'Phone' }).waitFor();
  await page.getByText('Registered as 2001').waitFor();
  t.comment(`registered ${Date.now() - started} ms after opening /phone`);
  const reg = await until('2001 in sofia status', async () => {
    const out = await rs.fs.cli('sofia status profile internal reg');
    return out.includes(`2001@${c.sipDomain}`) && out;
  });
  t.match(reg, /Agent:\s+SIP\.js\/0\.21/, 'registered by SIP.js');
  t.match(reg, /Registered\(WS/, 'over the WebSocket transport');
  await screenshot(page, 'softphone-registered');
  t.equal(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage })).then((s) => s.includes(agentExt.password)), false, 'the SIP password is not stored in the browser');
});

t.test('calls 2002 (a SIPp phone echoing RTP): audio both ways, DTMF, mute, hang up', async (t) => {
  const phone = await startPhone(t, rs, c, callee, 300, { rtpEcho: true });
  await page.getByLabel('Number to call').fill('2002');
  const dialled = Date.now();
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  await page.getByText('Connected', { exact: true }).waitFor();
  t.comment(`answered ${Date.now() - dialled} ms after Call`);
  await bridgedCall(rs, 'sofia/internal/2002');
  const counts = await mediaFlows('the call to 2002', 100);
  t.comment(`RTP packets after ${Date.now() - dialled} ms: received ${counts.received}, sent ${counts.sent}`);
  t.pass(`RTP both ways: ${counts.received} received, ${counts.sent} sent`);
  t.match(rs.fs.log(), /Changing audio DTLS state from SETUP to READY/, 'DTLS-SRTP with the browser');
  t.match(rs.fs.log(), /Set Codec sofia\/internal\/2001@\S+ opus\/48000/, 'OPUS to the browser');
  await screenshot(page, 'softphone-in-call');

  await page.getByRole('button', { name: 'Keypad' }).click();
  for (const key of ['1', '2', '#']) await page.getByRole('button', { name: `Key ${key}` }).click();
  await page.getByText('Tones sent: 12#').waitFor();
  await until('FreeSWITCH got the three DTMF digits', () => {
    const lines = rs.fs.logLines(/switch_channel.c:\d+ RECV DTMF /);
    return ['1', '2', '#'].every((d) => lines.some((l) => l.includes(`RECV DTMF ${d}:`)));
  });
  t.pass('DTMF 1, 2, # reached FreeSWITCH (RFC 4733 telephone-events)');

  await page.getByRole('button', { name: 'Mute' }).click();
  t.equal(await page.getByRole('button', { name: 'Unmute' }).getAttribute('aria-pressed'), 'true', 'mute is a pressed toggle');
  await page.getByRole('button', { name: 'Unmute' }).click();

  await page.getByRole('button', { name: 'Hang up' }).click();
  await page.getByLabel('Number to call').waitFor();
  t.equal((await phone.done).code, 0, 'the SIPp phone got the BYE');
});

t.test('a call from 2004 (SIPp) rings in the page, is answered there, and media flows', async (t) => {
  const call = runSipp(t, {
    scenario: 'call.xml', remote: rs.registrar, rtpEcho: true,
    auth: { user: caller.number, password: caller.password },
    // Media reaches 100 packets each way some 4-5 s after Answer (ICE, DTLS, then ~30-50 packets/s
    // on this machine): a shorter call can end before, and the counts leave with it.
    vars: { USER: caller.number, DOMAIN: c.sipDomain, DEST: '2001', HOLD_MS: 12_000 },
    timeoutMs: 45_000,
  });
  const ringing = page.getByRole('alertdialog', { name: 'Incoming call' });
  await ringing.waitFor();
  t.match(await ringing.innerText(), /2004/, 'the caller is shown');
  await screenshot(page, 'softphone-incoming');
  await ringing.getByRole('button', { name: 'Answer' }).click();
  await page.getByText('Connected', { exact: true }).waitFor();
  const counts = await mediaFlows('the call from 2004', 100);
  t.pass(`RTP both ways: ${counts.received} received, ${counts.sent} sent`);
  await screenshot(page, 'softphone-answered');
  t.equal((await call).code, 0, 'the caller hung up after its call');
  await page.getByLabel('Number to call').waitFor();
});

t.test('blind transfer: 2004 calls the page, the agent transfers to 2003, 2004 ends up talking to 2003', async (t) => {
  const transferTarget = await startPhone(t, rs, c, target, 300, { rtpEcho: true });
  const call = runSipp(t, {
    scenario: 'call.xml', remote: rs.registrar, rtpEcho: true,
    auth: { user: caller.number, password: caller.password },
    vars: { USER: caller.number, DOMAIN: c.sipDomain, DEST: '2001', HOLD_MS: 12_000 },
    timeoutMs: 45_000,
  });
  await page.getByRole('alertdialog', { name: 'Incoming call' }).getByRole('button', { name: 'Answer' }).click();
  await page.getByText('Connected', { exact: true }).waitFor();
  await mediaFlows('before the transfer', 25);
  await page.getByLabel('Transfer to').fill('2003');
  await screenshot(page, 'softphone-transfer');
  await page.getByRole('button', { name: 'Transfer' }).click();
  await page.getByLabel('Number to call').waitFor();
  t.pass('the page is idle again after the transfer');
  await bridgedCall(rs, 'sofia/internal/2003');
  await until('the agent\'s leg gone from FreeSWITCH', async () => !(await channels()).some((r) => r.name?.startsWith('sofia/internal/2001')));
  t.ok((await channels()).some((r) => r.name?.startsWith('sofia/internal/2004')), '2004 still in a call, now with 2003');
  t.equal((await call).code, 0, '2004 finished its call');
  t.equal((await transferTarget.done).code, 0, '2003 answered and got the BYE');
  const cdrs = await until('the transfer target\'s leg in the CDRs', async () => {
    const all = await cdrsOf(rs.sp, c);
    return all.some((r) => JSON.stringify(r).includes('2003')) && all;
  });
  t.comment(JSON.stringify(cdrs.map((r) => ({ from: r.callerIdNumber ?? r.caller, to: r.destinationNumber ?? r.destination, type: r.callType, status: r.status, billsec: r.billsec }))));
});

t.test('Do not disturb: the switch sets it on the extension, and callers get busy', async (t) => {
  const dnd = page.getByRole('switch', { name: 'Do not disturb' });
  await dnd.click();
  await until('the switch on', () => dnd.isChecked());
  await until('doNotDisturb stored', async () => (await rs.sp.ok('GET', `/api/v1/extensions/${agentExt.id}`, undefined, c.key)).doNotDisturb === true);
  await screenshot(page, 'softphone-dnd');
  const refused = await runSipp(t, {
    scenario: 'call-refused.xml', remote: rs.registrar,
    auth: { user: caller.number, password: caller.password },
    vars: { USER: caller.number, DOMAIN: c.sipDomain, DEST: '2001', EXPECT: 486 },
    timeoutMs: 30_000,
  });
  t.equal(refused.code, 0, 'a call to 2001 gets 486 Busy Here');
  await dnd.click();
  await until('doNotDisturb off', async () => (await rs.sp.ok('GET', `/api/v1/extensions/${agentExt.id}`, undefined, c.key)).doNotDisturb === false);
});

t.test('a registration refused (wrong password) is said plainly', async (t) => {
  rs.fs.expectLog(/2001@/);
  const other = await session.newPage();
  await login(other, AGENT.email, AGENT.password);
  await other.route('**/api/v1/extensions/*/credentials', async (route) => {
    const answer = await route.fetch();
    const body = await answer.json();
    body.data.password = 'not-the-password';
    await route.fulfill({ response: answer, json: body });
  });
  await other.goto('/phone');
  const alert = other.getByRole('alert').filter({ hasText: 'Registration refused' });
  await alert.waitFor();
  t.match(await alert.innerText(), /did not accept this extension's password/);
  await other.getByText('Registration refused', { exact: true }).waitFor();
  await screenshot(other, 'softphone-refused');
  await other.close();
});

t.test('the page at 375 px', async (t) => {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.getByText('Registered as 2001').waitFor();
  await screenshot(page, 'softphone-375');
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  t.ok(width <= 375, `no horizontal scrolling (${width} px)`);
  // Failed requests are the API's answers (the session check before login); anything else is the page's.
  t.same(session.problems.filter((p) => p.kind === 'pageerror' || !/Failed to load resource/.test(p.text)), [], 'no page errors');
});

t.test('hold and resume: FreeSWITCH sees the leg HELD, then ACTIVE, audio comes back both ways, hang up ends the call', async (t) => {
  const phone = await startPhone(t, rs, c, callee, 300, { rtpEcho: true });
  await page.getByLabel('Number to call').fill('2002');
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  await page.getByText('Connected', { exact: true }).waitFor();
  await mediaFlows('before holding', 25);
  await page.getByRole('button', { name: 'Hold' }).click();
  await page.getByText('On hold', { exact: true }).waitFor();
  const held = await until('the browser leg HELD in show channels', async () => (await channels()).find((r) => r.name?.startsWith('sofia/internal/2001') && r.callstate === 'HELD'));
  t.ok(held, 'FreeSWITCH sees the hold (callstate HELD)');
  await screenshot(page, 'softphone-on-hold');
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByText('Connected', { exact: true }).waitFor();
  await until('the browser leg ACTIVE again', async () => (await channels()).some((r) => r.name?.startsWith('sofia/internal/2001') && r.callstate === 'ACTIVE'));
  const resumed = (await mediaCounts())!;
  // 2002 hears music on hold meanwhile (FreeSWITCH plays local_stream://moh to the other leg); the
  // echo of the browser's audio comes back only once the bridge carries it again.
  const after = await mediaFlows('after resuming', 50, resumed);
  t.pass(`after resuming: received ${after.received - resumed.received} and sent ${after.sent - resumed.sent} more packets`);

  await page.getByRole('button', { name: 'Hang up' }).click();
  await page.getByLabel('Number to call').waitFor();
  t.equal((await phone.done).code, 0, 'the SIPp phone got the BYE');
  await until('the call gone from FreeSWITCH', async () => !(await channels()).some((r) => r.name?.startsWith('sofia/internal/2001') || r.name?.startsWith('sofia/internal/2002')));
});

assertCleanLog(t, () => rs);
