/**
 * The Calls pages in headless Chromium, logged in as Acme's demo admin, against a Switchplane
 * process whose Acme customer has 30 call detail records and one AI agent session (written into
 * its database: test/helpers/portal-records.ts): the list page by page, filters that narrow it
 * (number, direction, dates), the CSV export of the filtered list, a call's detail with the AI
 * session's transcript, actions and sentiment, click-to-call answering what the API says (no
 * FreeSWITCH here: 503), and both pages at 375 px without horizontal scrolling.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { Page } from 'playwright-core';
import { DEMO, login, openBrowser, screenshot, type BrowserSession, type PageProblem } from '../helpers/browser.js';
import { portalWithRecords, type CdrRow } from '../helpers/portal-records.js';

t.setTimeout(240_000);

const AI_CALL = randomUUID();
const SESSION = randomUUID();
const at = (iso: string, seconds = 0) => new Date(new Date(iso).getTime() + seconds * 1000);
const cdr = (start: string, c: Partial<CdrRow>): CdrRow => ({
  direction: 'internal', call_type: 'voice', caller_number: '1001', called_number: '1002', start_at: at(start), answer_at: at(start, 2), end_at: at(start, 32),
  duration_seconds: 32, billsec: 30, hangup_cause: 'NORMAL_CLEARING', disposition: 'ANSWERED', ...c,
});
const CDRS: CdrRow[] = [
  cdr('2026-12-03T10:00:00Z', { unique_id: AI_CALL, direction: 'inbound', call_type: 'ai_voice', caller_number: '+393331112222', called_number: '+390510510510', duration_seconds: 65, billsec: 65, ai_session_id: SESSION }),
  cdr('2026-12-03T09:00:00Z', { direction: 'outbound', caller_number: '1001', called_number: '+390212345678' }),
  cdr('2026-12-02T09:00:00Z', { disposition: 'BUSY', hangup_cause: 'USER_BUSY', answer_at: null, billsec: 0, duration_seconds: 4 }),
  cdr('2026-12-01T15:00:00Z', { direction: 'inbound', caller_number: '+15551230000', called_number: '+390510510511', disposition: 'NO ANSWER', hangup_cause: 'NO_ANSWER', answer_at: null, billsec: 0 }),
  ...Array.from({ length: 26 }, (_, i) => cdr(`2026-11-2${i % 5}T08:${String(i).padStart(2, '0')}:00Z`, { called_number: '1002' })),
];
const TRANSCRIPT = [
  { role: 'agent', text: 'Buongiorno, sono l\'assistente di Acme: come posso aiutarla?', at: '2026-12-03T10:00:03.000Z' },
  { role: 'caller', text: 'Il mio ordine 4411 è in ritardo.', at: '2026-12-03T10:00:09.000Z' },
  { role: 'agent', text: 'Apro una segnalazione e la passo a un collega.', at: '2026-12-03T10:00:15.000Z', interrupted: true, heardMs: 1800 },
];

let portal: Awaited<ReturnType<typeof portalWithRecords>>;
let session: BrowserSession;
let page: Page;

t.before(async () => {
  portal = await portalWithRecords(t, 'acme', () => ({
    cdrs: CDRS,
    sessions: [{
      id: SESSION, call_id: AI_CALL, openai_session_id: 'sess_browser_test', agent_profile: 'customer-care-voice', caller_number: '+393331112222', did: '+390510510510',
      started_at: at('2026-12-03T10:00:00Z'), ended_at: at('2026-12-03T10:01:05Z'), duration_seconds: 65, transcript: TRANSCRIPT,
      actions_taken: [
        { action: 'create_ticket', timestamp: '2026-12-03T10:00:20.000Z', params: { subject: 'Ordine 4411 in ritardo' }, result: { ticketId: 'TKT-4411', status: 'success' } },
        { action: 'transfer_to_human', timestamp: '2026-12-03T10:00:40.000Z', params: { extension: '1001' }, result: { status: 'completed' } },
      ],
      transfer_target: '1001', transfer_reason: 'customer_request', sentiment: 'positive', satisfaction_score: 4,
    }],
  }));
  session = await openBrowser(t, { baseURL: portal.url });
  page = session.page;
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
});

const rows = (p: Page) => p.getByRole('table', { name: 'Call detail records' }).locator('tbody tr');
/** Waits (up to 10 s) until the list shows `n` rows and names `total` calls; false if it never does. */
async function expectList(p: Page, n: number, total: number): Promise<boolean> {
  await p.getByText(`${total} calls`, { exact: true }).waitFor();
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await p.waitForTimeout(100)) {
    if ((await rows(p).count()) === n) return true;
  }
  return false;
}
/** No horizontal scrolling: the document is no wider than the viewport. */
const fitsWidth = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

t.test('the call list shows the records newest first, 25 a page', async (t) => {
  await page.goto('/calls');
  t.ok(await expectList(page, 25, 30), '25 rows of 30 calls');
  t.match(await rows(page).first().textContent(), /\+393331112222.*\+390510510510/, 'the newest call first');
  await screenshot(page, 'calls-list');
  await page.getByRole('button', { name: '2' }).click();
  t.ok(await expectList(page, 5, 30), 'the second page has the other 5');
  t.equal(new URL(page.url()).searchParams.get('page'), '2', 'the page is in the address');
});

t.test('the filters narrow the list: number, direction, dates', async (t) => {
  await page.goto('/calls');
  await page.getByLabel('Number', { exact: true }).fill('3331112');
  await page.getByLabel('Number', { exact: true }).press('Enter');
  t.ok(await expectList(page, 1, 1), 'a part of the caller number: one call');
  await page.getByRole('button', { name: 'Clear' }).click();
  t.ok(await expectList(page, 25, 30), 'cleared: all of them');

  await page.getByRole('textbox', { name: 'Direction', exact: true }).click();
  await page.getByRole('option', { name: 'inbound' }).click();
  await page.getByRole('button', { name: 'Apply' }).click();
  t.ok(await expectList(page, 2, 2), 'inbound: two calls');
  t.equal(new URL(page.url()).searchParams.get('direction'), 'inbound');
  await screenshot(page, 'calls-filtered-inbound');

  await page.getByRole('button', { name: 'Clear' }).click();
  t.ok(await expectList(page, 25, 30), 'cleared again');
  await page.getByLabel('From', { exact: true }).fill('2026-12-02');
  await page.getByLabel('To', { exact: true }).fill('2026-12-02');
  await page.getByRole('button', { name: 'Apply' }).click();
  t.ok(await expectList(page, 1, 1), 'one day in the customer\'s time zone: one call');
  t.match(await rows(page).first().textContent(), /BUSY/);
});

t.test('the CSV export has the rows of the filtered list', async (t) => {
  await page.goto('/calls?direction=inbound');
  t.ok(await expectList(page, 2, 2));
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]);
  const lines = readFileSync((await download.path())!, 'utf8').trim().split(/\r?\n/);
  t.equal(lines.length, 3, 'a header and two rows');
  t.match(lines[0], /callerNumber/, 'the header names the fields');
  t.ok(lines.some((l) => l.includes('+393331112222')) && lines.some((l) => l.includes('+15551230000')), 'both inbound calls');
});

t.test('a call with an AI session shows its transcript, actions and sentiment', async (t) => {
  await page.goto('/calls?number=3331112');
  await rows(page).first().getByRole('link').click();
  await page.getByRole('heading', { level: 1, name: /\+393331112222 → \+390510510510/ }).waitFor();
  t.ok(await page.getByText('NORMAL_CLEARING').isVisible(), 'the hangup cause');
  const transcript = page.getByLabel('Transcript');
  await transcript.waitFor();
  t.ok(await transcript.getByText('Il mio ordine 4411 è in ritardo.').isVisible(), 'the caller\'s line');
  t.equal(await transcript.getByText(/^Agent · /).count(), 2, 'two agent lines with their times');
  t.equal(await transcript.getByText(/^Caller · /).count(), 1, 'one caller line');
  t.ok(await transcript.getByText(/cut off after 1\.8 s/).isVisible(), 'the interrupted line is marked');
  const actions = page.getByRole('table', { name: 'Actions' });
  t.ok(await actions.getByText('create_ticket').isVisible(), 'the ticket action');
  t.ok(await actions.getByText(/TKT-4411/).isVisible(), 'with its result');
  t.ok(await actions.getByText('transfer_to_human').isVisible(), 'the transfer action');
  t.ok(await page.getByText('Sentiment: positive').isVisible(), 'the sentiment');
  t.ok(await page.getByText('Satisfaction 4/5').isVisible(), 'the satisfaction score');
  await screenshot(page, 'call-detail-ai-session');
});

t.test('click-to-call shows what the API answered (no FreeSWITCH connected: 503)', async (t) => {
  await page.goto('/calls');
  await page.getByRole('button', { name: 'Click-to-call' }).click();
  await page.getByRole('textbox', { name: 'From extension' }).click();
  await page.getByRole('option', { name: /^1001/ }).click();
  await page.getByLabel('Destination').fill('1002');
  await page.getByRole('button', { name: 'Call', exact: true }).click();
  const message = page.getByText(/event socket/i);
  await message.waitFor();
  t.ok(await message.isVisible(), 'the refusal is shown');
  t.ok(await page.getByText('The call was not placed').isVisible(), 'with what failed');
  await screenshot(page, 'calls-click-to-call-refused');
});

t.test('at 375 px the list and a call fit the width', async (t) => {
  const phone = await session.newPage({ baseURL: portal.url, viewport: { width: 375, height: 740 } });
  await login(phone, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  await phone.goto('/calls');
  t.ok(await expectList(phone, 25, 30));
  t.ok(await fitsWidth(phone), 'the list does not scroll sideways');
  await screenshot(phone, 'calls-list-375');
  await rows(phone).first().getByRole('link').click();
  await phone.getByLabel('Transcript').waitFor();
  t.ok(await fitsWidth(phone), 'the call does not scroll sideways');
  await screenshot(phone, 'call-detail-375');
});

t.test('the pages reported no errors', async (t) => {
  const expected = (p: PageProblem) => /status of 503/.test(p.text) || (/status of 401/.test(p.text) && p.source?.endsWith('/api/v1/auth/session') === true);
  t.same(session.problems.filter((p) => !expected(p)), [], 'no console errors or page errors besides the 503 asked for and session checks without a session');
});
