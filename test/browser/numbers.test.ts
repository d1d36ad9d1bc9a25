/**
 * The Numbers page in headless Chromium, against a Switchplane process with the demo tenants,
 * the browser's clock fixed (Playwright's clock) so "open now?" has one right answer: Acme's
 * admin (time zone Europe/Rome) sees the demo numbers and their routes, creates a number (a too
 * short number and a forward target that is not E.164 are refused at their fields), turns it into
 * an AI agent number with business hours per weekday, a failover extension and a CRM webhook
 * (the generated secret shown once), sees "open now" follow the hours and the clock, and deletes
 * it after a confirmation; the API agrees after every step. DESTINATION_ALLOW=127.0.0.1/32 lets
 * the webhook point at this host.
 */
import t, { type Test } from 'tap';
import type { Page } from 'playwright-core';
import { DEMO, login, openBrowser, portalServer, screenshot, type BrowserSession, type PortalServer } from '../helpers/browser.js';

t.setTimeout(180_000);
/** Monday 7 December 2026, 10:00 in Rome (CET, UTC+1). */
const MONDAY_10_ROME = new Date('2026-12-07T09:00:00Z');
/** Saturday 12 December 2026, 11:00 and 12:30 in Rome. */
const SATURDAY_11_ROME = new Date('2026-12-12T10:00:00Z');
const SATURDAY_1230_ROME = new Date('2026-12-12T11:30:00Z');
const NEW = '+390510510599';
const FORWARD_TO = '+393331234567';
const WEBHOOK = 'http://127.0.0.1:9/crm/tickets';

let portal: PortalServer;
let session: BrowserSession;
let page: Page;
let acmeId: string;

/** Acme's numbers as the API lists them. */
const numbers = async (): Promise<any[]> => portal.sp.ok('GET', `/api/v1/customers/${acmeId}/phone-numbers`);
const stored = async (number: string) => (await numbers()).find((n) => n.number === number);

/** The table row of `number`. */
const row = (number: string) => page.getByRole('row').filter({ has: page.getByText(number, { exact: true }) });

/** Picks `option` in the Mantine select labelled `label` inside the dialog. */
async function choose(label: string, option: string): Promise<void> {
  await page.getByRole('dialog').getByLabel(label, { exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

/** Submits the open form and waits for the API's message `message` under the input labelled `label`, focused. */
async function refusedAt(t: Test, label: string, message: string | RegExp): Promise<void> {
  const form = page.getByRole('dialog');
  await form.getByRole('button', { name: /^(Create|Save) number$/ }).click();
  await form.getByText(message).waitFor();
  const input = form.getByLabel(label, { exact: true });
  t.equal(await input.getAttribute('aria-invalid'), 'true', `${label} is marked invalid`);
  t.ok(await input.evaluate((el) => el === document.activeElement), `the focus moved to ${label}`);
}

t.before(async () => {
  portal = await portalServer(t, { env: { DESTINATION_ALLOW: '127.0.0.1/32' } });
  session = await openBrowser(t, { baseURL: portal.url });
  page = session.page;
  await page.clock.setFixedTime(MONDAY_10_ROME);
  acmeId = (await portal.sp.ok('GET', '/api/v1/customers')).find((c: any) => c.slug === 'acme').id;
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
});

t.test('the page lists the demo numbers, their routes and whether the AI number is open now', async (t) => {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Numbers', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Numbers' }).waitFor();
  await row('+390510510510').waitFor();
  t.match(await page.getByText(/time zone Europe\/Rome/).innerText(), /Europe\/Rome/, 'the customer\'s time zone is named');
  const care = await row('+390510510510').innerText();
  t.match(care, /AI agent \(customer-care-voice\)/, 'the AI number\'s route');
  t.match(care, /Open now/i, 'Monday 10:00 in Rome is inside Monday to Friday 09:00–18:00');
  t.match(care, /acme-main/, 'its trunk');
  t.match(care, /1002/, 'its failover extension');
  t.match(await row('+390510510511').innerText(), /Extension 1001/);
  await screenshot(page, 'numbers');
});

t.test('a number is created; bad input is refused at its field', async (t) => {
  await page.getByRole('button', { name: 'New number' }).click();
  const form = page.getByRole('dialog', { name: 'New number' });
  await form.getByLabel('Number', { exact: true }).fill('12');
  await refusedAt(t, 'Number', /^number: must NOT have fewer than 3 characters/);
  await form.getByLabel('Number', { exact: true }).fill(NEW);
  await choose('Trunk', 'acme-backup');
  await form.getByLabel('Description', { exact: true }).fill('Sales line');
  await choose('Route', 'Forward');
  await form.getByLabel('Forward to', { exact: true }).fill('abc');
  await refusedAt(t, 'Forward to', /routeTarget must be an E\.164 number/);
  await screenshot(page, 'numbers-field-error');
  t.notOk(await stored(NEW), 'nothing was created');
  await form.getByLabel('Forward to', { exact: true }).fill(FORWARD_TO);
  await form.getByRole('button', { name: 'Create number' }).click();
  await form.waitFor({ state: 'hidden' });
  await row(NEW).waitFor();
  t.match(await row(NEW).innerText(), new RegExp(`Forward to \\${FORWARD_TO}`));
  const backup = (await portal.sp.ok('GET', `/api/v1/customers/${acmeId}/trunks`)).find((x: any) => x.name === 'acme-backup');
  t.match(await stored(NEW), { route: 'forward', routeTarget: FORWARD_TO, trunkId: backup.id, description: 'Sales line', businessHours: null });
});

t.test('the number becomes an AI agent number with business hours, failover and CRM webhook; open now follows the edited hours', async (t) => {
  await row(NEW).getByRole('button', { name: `Edit ${NEW}` }).click();
  const form = page.getByRole('dialog', { name: `Edit number ${NEW}` });
  await choose('Route', 'AI agent');
  await form.getByLabel('AI agent profile', { exact: true }).fill('sales-voice');
  await form.getByLabel('Answer only within business hours').check();
  const hours = form.getByRole('table', { name: 'Business hours' });
  await hours.waitFor();
  t.equal(await form.getByLabel('Tuesday opens').inputValue(), '09:00', 'new hours start from office hours');
  t.notOk(await form.getByLabel('Saturday open').isChecked(), 'the weekend closed');
  t.match(await form.getByText(/Monday 10:00 in Europe\/Rome/).innerText(), /Monday 10:00/, 'the editor names the customer\'s local time');
  t.ok(await form.getByRole('status', { name: /^Open now/ }).isVisible(), 'open now at Monday 10:00');
  await form.getByLabel('Monday closes').fill('09:30');
  await form.getByRole('status', { name: /^Closed now/ }).waitFor();
  t.pass('closed now once Monday closes at 09:30');
  await form.getByLabel('Monday closes').fill('13:00');
  await form.getByRole('status', { name: /^Open now/ }).waitFor();
  await form.getByLabel('Saturday open').check();
  await form.getByLabel('Saturday opens').fill('10:00');
  await form.getByLabel('Saturday closes').fill('12:00');
  await form.getByLabel('Failover extension', { exact: true }).fill('1002');
  await form.getByLabel('CRM webhook URL', { exact: true }).fill(WEBHOOK);

  await form.getByLabel('Friday closes').fill('09:00');
  await refusedAt(t, 'Friday open', /businessHours\.friday: start equals end/);
  await form.getByLabel('Friday closes').fill('18:00');
  await refusedAt(t, 'CRM webhook secret', /crmWebhookUrl needs a crmWebhookSecret/);

  await form.getByRole('button', { name: 'Generate' }).click();
  const secret = await form.getByLabel('CRM webhook secret', { exact: true }).inputValue();
  t.match(secret, /^[0-9a-f]{64}$/, 'a random secret of 32 bytes');
  await screenshot(page, 'numbers-business-hours');
  await form.getByRole('button', { name: 'Save number' }).click();
  const shown = page.getByRole('dialog', { name: 'CRM webhook secret saved' });
  await shown.waitFor();
  t.match(await shown.innerText(), secret, 'the saved secret is shown once to copy');
  t.ok(await shown.getByRole('button', { name: 'Copy CRM webhook secret' }).isVisible(), 'with a copy button');
  await screenshot(page, 'numbers-webhook-secret');
  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'hidden' });
  t.equal(await page.getByText(secret).count(), 0, 'the secret is gone from the page once closed');

  const office = { start: '09:00', end: '18:00' };
  t.match(await stored(NEW), {
    route: 'ai_agent', routeTarget: null, aiAgentProfile: 'sales-voice', failoverExtension: '1002', crmWebhookUrl: WEBHOOK, crmWebhookSecretSet: true,
    businessHours: { monday: { start: '09:00', end: '13:00' }, tuesday: office, wednesday: office, thursday: office, friday: office, saturday: { start: '10:00', end: '12:00' }, sunday: null },
  });
  await row(NEW).waitFor();
  t.match(await row(NEW).innerText(), /Open now/i, 'the list: open at Monday 10:00');
});

t.test('open now follows the clock in the customer\'s time zone', async (t) => {
  await page.clock.setFixedTime(SATURDAY_11_ROME);
  await page.reload();
  await row(NEW).waitFor();
  t.match(await row(NEW).innerText(), /Open now/i, 'Saturday 11:00 in Rome: inside 10:00–12:00');
  t.match(await row('+390510510510').innerText(), /Closed now/i, 'the customer-care number is closed at the weekend');
  await page.clock.setFixedTime(SATURDAY_1230_ROME);
  await page.reload();
  await row(NEW).waitFor();
  t.match(await row(NEW).innerText(), /Closed now/i, 'Saturday 12:30: past its closing time');
  await screenshot(page, 'numbers-saturday');
  await page.clock.setFixedTime(MONDAY_10_ROME);
});

t.test('at 375 px neither the page nor the form scrolls sideways', async (t) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.reload();
  await row(NEW).waitFor();
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the list');
  await screenshot(page, 'numbers-375');
  await row(NEW).getByRole('button', { name: `Edit ${NEW}` }).click();
  await page.getByRole('table', { name: 'Business hours' }).waitFor();
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'the form');
  await screenshot(page, 'numbers-form-375');
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('dialog').waitFor({ state: 'hidden' });
  await page.setViewportSize({ width: 1280, height: 800 });
});

t.test('the number is deleted after a confirmation', async (t) => {
  await row(NEW).getByRole('button', { name: `Delete ${NEW}` }).click();
  const confirm = page.getByRole('dialog', { name: `Delete number ${NEW}?` });
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await confirm.waitFor({ state: 'hidden' });
  await row(NEW).waitFor({ state: 'detached' });
  t.notOk(await stored(NEW), 'the API no longer has it');
});

t.test('the pages reported no errors but the session asked before login (401) and the refused saves (400)', async (t) => {
  t.same(session.problems.filter((p) => !/status of 400/.test(p.text) && !(p.url.endsWith('/login') && /status of 401/.test(p.text))), []);
});
