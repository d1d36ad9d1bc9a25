/**
 * A customer's admin sets the customer up in the portal, end to end on the real FreeSWITCH
 * 1.10.12, in headless Chromium: logs in, creates a trunk in the Trunks page (its gateway appears
 * in FreeSWITCH), creates an extension in the Extensions page (credentials shown once), maps a
 * number to it in the Numbers page; a SIPp phone registers with those credentials, a carrier's
 * call to the number reaches it, and the call's CDR appears in the Calls page. Then a carrier's
 * call to an AI number (mod_audio_stream to a mock of the OpenAI Realtime API, as
 * test/freeswitch/ai-agent.test.ts does) asks for a person and is transferred; its AI session
 * (transcript with speakers, the transfer action) is read in the call's detail page.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { Page } from 'playwright-core';
import { buildPortal, loggedOutProbe, login, openBrowser, screenshot, type BrowserSession } from '../helpers/browser.js';
import { startMockRealtime, type MockRealtime } from '../helpers/mock-realtime.js';
import { bridgedCall, carrierAdmitted, carrierCall, createCustomer, startPhone, startRealSwitch, until, type Customer, type Extension, type RealSwitch } from '../helpers/real-switch.js';
import { startRtpPeer } from '../helpers/rtp-peer.js';
import { startSipp } from '../helpers/sipp-scenario.js';

t.setTimeout(420_000); // the real switch, a browser, two calls in real time
const ADMIN = { email: 'admin@flow.switchplane.test', password: 'flow-admin-password-1' };
const DID = '+15550100300';
const AI_DID = '+15550100301';
const CALLER = '+15557770301';
const AI_CALLER = '+15557770302';

let rs: RealSwitch;
let mock: MockRealtime;
let session: BrowserSession;
let page: Page;
let flow: Customer;
/** What the Extensions page created, with the password it showed. */
let ext: Extension;

t.before(async () => {
  await buildPortal();
  mock = await startMockRealtime({
    greeting: { type: 'audio', text: 'Hello, thank you for calling, how can I help you?', audio: { wav: 'agent-greeting.wav' } },
    turns: [
      {
        transcript: 'Can I talk to a person please?',
        steps: [
          { type: 'function_call', name: 'transfer_to_human', arguments: { extension: '1002', reason: 'caller asked for a person' }, callId: 'call_transfer' },
          { type: 'audio', text: 'Of course, I am transferring you now, goodbye.', audio: { toneHz: 523, ms: 1500 } },
        ],
      },
    ],
  });
  t.teardown(() => mock.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-portal-flow-'));
  writeFileSync(path.join(dir, 'ca.pem'), mock.ca);
  rs = await startRealSwitch(t, 'portal-flow', {
    OPENAI_API_KEY: 'sk-test',
    OPENAI_BASE_URL: mock.baseURL,
    OPENAI_CA_FILE: path.join(dir, 'ca.pem'),
    MEDIA_FORK_MODULE: 'audio_stream',
    AI_ANALYSIS: 'false',
  });
  flow = await createCustomer(rs.sp, 'flow', { timezone: 'UTC' });
  const { inviteLink } = await rs.sp.ok('POST', `/api/v1/customers/${flow.id}/users`, { email: ADMIN.email, name: 'Flow Admin', role: 'admin' });
  const token = new URL(inviteLink, rs.sp.url).searchParams.get('token');
  const accepted = await fetch(`${rs.sp.url}/api/v1/auth/accept`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, password: ADMIN.password }) });
  if (accepted.status !== 200) throw new Error(`accepting the invitation answered ${accepted.status}: ${await accepted.text()}`);
  session = await openBrowser(t, { baseURL: rs.sp.url });
  page = session.page;
});

/** Opens `path` from the navigation and waits for its heading. */
async function open(label: string, heading: RegExp): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** Picks `option` in the Mantine select labelled `label` inside `scope`. */
async function choose(scope: Page | ReturnType<Page['getByRole']>, label: string, option: string): Promise<void> {
  await scope.getByLabel(label, { exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

t.test('the customer\'s admin logs in', async (t) => {
  await login(page, ADMIN.email, ADMIN.password);
  t.equal(new URL(page.url()).pathname, '/', 'on the dashboard');
  t.match(await page.getByRole('banner').innerText(), /\bflow\b/, 'the customer is named in the header');
});

t.test('a trunk created in the Trunks page becomes a gateway in FreeSWITCH', async (t) => {
  await open('Trunks', /trunks/i);
  await page.getByRole('button', { name: 'New trunk' }).click();
  const form = page.getByRole('dialog');
  await form.getByLabel('Name', { exact: true }).fill('carrier');
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  await form.getByLabel('Port', { exact: true }).fill('5999');
  await form.getByRole('button', { name: /^(create|save)/i }).click();
  await form.waitFor({ state: 'hidden' });
  await page.getByRole('cell', { name: 'carrier', exact: true }).waitFor();
  await screenshot(page, 'flow-trunks');
  const [trunk] = await rs.sp.ok('GET', '/api/v1/trunks', undefined, flow.key);
  t.match(trunk, { name: 'carrier', host: '127.0.0.1', port: 5999 }, 'stored as entered');
  const status = await until(`gateway ${trunk.gatewayName} in sofia status`, async () => {
    const out = await rs.fs.cli(`sofia status gateway ${trunk.gatewayName}`);
    return !/Invalid Gateway/i.test(out) && out.includes(trunk.gatewayName) && out;
  });
  t.match(status, /127\.0\.0\.1:5999/, 'FreeSWITCH has the gateway with the trunk\'s address');
  await carrierAdmitted(rs);
});

t.test('an extension created in the Extensions page shows its credentials once', async (t) => {
  await open('Extensions', /extensions/i);
  await page.getByRole('button', { name: 'New extension' }).click();
  const form = page.getByRole('dialog');
  await form.getByLabel('Extension number', { exact: true }).fill('1002');
  await form.getByLabel('Display name', { exact: true }).fill('Giulia Bianchi');
  await form.getByRole('button', { name: /^(create|save)/i }).click();
  const shown = page.getByRole('dialog').filter({ hasText: /credentials/i });
  await shown.waitFor();
  await screenshot(page, 'flow-extension-credentials');
  const password = await shown.getByLabel('Password', { exact: true }).innerText();
  const username = await shown.getByLabel('Username', { exact: true }).innerText();
  const [created] = await rs.sp.ok('GET', '/api/v1/extensions', undefined, flow.key);
  const creds = await rs.sp.ok('GET', `/api/v1/extensions/${created.id}/credentials`, undefined, flow.key);
  t.equal(password, creds.password, 'the SIP password is shown');
  t.equal(username, creds.username, 'and the username');
  ext = { id: created.id, number: '1002', password };
  await shown.getByRole('button', { name: /close|done/i }).first().click();
  await shown.waitFor({ state: 'hidden' });
  await page.getByRole('cell', { name: '1002', exact: true }).waitFor();
  t.equal(await page.getByText(creds.password).count(), 0, 'the password is no longer on the page once closed');
});

t.test('a number mapped to the extension in the Numbers page', async (t) => {
  await open('Numbers', /numbers/i);
  await page.getByRole('button', { name: 'New number' }).click();
  const form = page.getByRole('dialog');
  await form.getByLabel('Number', { exact: true }).fill(DID);
  await choose(form, 'Trunk', 'carrier');
  await choose(form, 'Route', 'Extension');
  await choose(form, 'Extension', '1002');
  await form.getByRole('button', { name: /^(create|save)/i }).click();
  await form.waitFor({ state: 'hidden' });
  await page.getByRole('cell', { name: DID, exact: true }).waitFor();
  await screenshot(page, 'flow-numbers');
  const numbers = await rs.sp.ok('GET', '/api/v1/phone-numbers', undefined, flow.key);
  t.match(numbers.find((n: { number: string }) => n.number === DID), { route: 'extension', routeTarget: '1002' });
});

t.test('a carrier\'s call to the number rings the phone registered with those credentials, and its CDR appears in the Calls page', async (t) => {
  const phone = await startPhone(t, rs, flow, ext);
  t.equal((await carrierCall(t, rs, DID, CALLER, 1500)).code, 0, 'the carrier\'s call was answered and hung up');
  t.equal((await phone.done).code, 0, 'the phone rang, answered and got the BYE');
  await open('Calls', /calls/i);
  // One CDR per leg: the carrier's leg (→ the DID) and the phone's (→ 1002), in either order.
  const rows = page.getByRole('row').filter({ hasText: CALLER });
  const phoneLeg = rows.filter({ hasText: '→ 1002' });
  const carrierLeg = rows.filter({ hasText: `→ ${DID}` });
  await until('both legs of the call in the Calls page', async () => {
    await page.reload();
    await page.getByRole('heading', { level: 1 }).waitFor();
    return (await phoneLeg.count()) > 0 && (await carrierLeg.count()) > 0;
  }, 30_000);
  await screenshot(page, 'flow-calls');
  t.match(await phoneLeg.first().innerText(), /→ 1002/, 'a row names the extension that took it');
  t.match(await phoneLeg.first().innerText(), /answered/i, 'and that it was answered');
  t.match(await carrierLeg.first().innerText(), /answered/i, 'the carrier\'s leg to the number is listed, answered');
});

t.test('an AI call\'s session is read in the call\'s detail page', async (t) => {
  const open247 = Object.fromEntries(['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [d, { start: '00:00', end: '23:59' }]));
  await rs.sp.ok('POST', '/api/v1/phone-numbers', { number: AI_DID, route: 'ai_agent', aiAgentProfile: 'customer-care-voice', businessHours: open247, failoverExtension: '1002' }, flow.key);
  const phone = await startPhone(t, rs, flow, ext);
  const rtp = await startRtpPeer(t);
  const portFile = path.join(mkdtempSync(path.join(tmpdir(), 'switchplane-rtp-')), 'port');
  const caller = await startSipp(t, { scenario: 'carrier-call-rtp.xml', remote: rs.carrierSide, vars: { DID: AI_DID, CALLER: AI_CALLER, MEDIA_PORT: rtp.port, PORT_FILE: portFile }, timeoutMs: 90_000 });
  rtp.start(await until('the AI call answered', () => existsSync(portFile) && Number(readFileSync(portFile, 'utf8').trim())));
  const realtime = await mock.waitForSession();
  await realtime.waitForSent('response.done');
  await rtp.say('caller-ask-person.wav');
  await bridgedCall(rs, 'sofia/internal/1002@', 30_000);
  await rs.fs.cli('hupall NORMAL_CLEARING');
  t.equal((await caller.done).code, 0, 'the caller got the BYE');
  t.equal((await phone.done).code, 0, '1002 took the transferred call');
  await until('the AI session stored', async () => (await rs.sp.ok('GET', '/api/v1/ai-sessions', undefined, flow.key)).length > 0);

  await open('Calls', /calls/i);
  const row = page.getByRole('row').filter({ hasText: AI_CALLER }).filter({ hasText: AI_DID });
  await until('the AI call in the Calls page', async () => {
    await page.reload();
    await page.getByRole('heading', { level: 1 }).waitFor();
    return (await row.count()) > 0;
  }, 30_000);
  await row.first().getByRole('link').first().click();
  await page.waitForURL((u) => /^\/calls\/[0-9a-f-]{36}$/.test(u.pathname));
  const panel = page.getByRole('heading', { name: 'AI agent session' });
  await panel.waitFor();
  const transcript = page.getByLabel('Transcript');
  await transcript.getByText('Can I talk to a person please?').waitFor();
  t.ok(await transcript.getByText('Hello, thank you for calling, how can I help you?').isVisible(), 'the agent\'s greeting in the transcript');
  t.ok(await transcript.getByText('Can I talk to a person please?').isVisible(), 'what the caller said');
  t.ok(await transcript.getByText(/^Agent · /).first().isVisible(), 'the agent is named as speaker, with a time');
  t.ok(await transcript.getByText(/^Caller · /).first().isVisible(), 'the caller is named as speaker, with a time');
  t.ok(await page.getByText(/Transferred to 1002/).isVisible(), 'the transfer');
  t.ok(await page.getByRole('table', { name: 'Actions' }).getByText('transfer_to_human').isVisible(), 'the transfer among the actions');
  await screenshot(page, 'flow-ai-session');
});

t.test('the pages reported no errors (but the logged-out session probe of /login)', async (t) => {
  t.same(session.problems.filter((p) => !loggedOutProbe(p)), []);
});
