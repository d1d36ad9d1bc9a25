/**
 * Recurring calls, the audit log and the FreeSWITCH configuration preview in headless Chromium,
 * logged in as Acme's demo admin, against a Switchplane process with the demo tenants: a
 * recurring call created (a field error first), paused, edited and deleted; the audit log showing
 * those changes and a trunk's password masked in its before/after view; the directory, dialplan
 * and sofia.conf XML of the customer; every page at 375 px without horizontal scrolling.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { DEMO, login, openBrowser, portalServer, screenshot, type BrowserSession, type PageProblem, type PortalServer } from '../helpers/browser.js';

t.setTimeout(240_000);
const TRUNK_PASSWORD = 'trunk-secret-4711';
let portal: PortalServer;
let session: BrowserSession;
let page: Page;

t.before(async () => {
  portal = await portalServer(t);
  session = await openBrowser(t, { baseURL: portal.url });
  page = session.page;
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
});

const fitsWidth = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
async function choose(p: Page, label: string, option: string | RegExp) {
  await p.getByRole('textbox', { name: label, exact: true }).click();
  await p.getByRole('option', { name: option }).click();
}

t.test('recurring calls: create (after a field error), pause, edit, delete', async (t) => {
  await page.goto('/recurring-calls');
  await page.getByText(/No recurring calls yet/).waitFor();
  await screenshot(page, 'recurring-calls-empty');
  await page.getByRole('button', { name: 'New recurring call' }).click();
  await choose(page, 'Extension', '1001');
  await page.getByLabel('Destination', { exact: true }).fill('1002');
  await choose(page, 'Frequency', 'weekly');
  await choose(page, 'Day of week', 'Monday');
  await page.getByLabel('Time', { exact: true }).fill('09:30');
  await page.getByLabel('Time zone', { exact: true }).fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('dialog').getByText(/unknown time zone "Mars\/Olympus"/).waitFor();
  t.equal(await page.getByLabel('Time zone', { exact: true }).getAttribute('aria-invalid'), 'true', 'the API\'s error is at the time zone field');
  await page.getByLabel('Time zone', { exact: true }).fill('Europe/Rome');
  await page.getByRole('button', { name: 'Save' }).click();
  const card = page.getByLabel('Recurring call 1001 to 1002');
  await card.waitFor();
  t.ok(await card.getByText('Every Monday at 09:30 (Europe/Rome)').isVisible(), 'the schedule is described');
  t.notOk(await card.getByText('Next: paused').count(), 'enabled: a next run');
  await screenshot(page, 'recurring-calls-created');

  await card.getByLabel('Enabled').click({ force: true });
  await card.getByText(/Next: paused/).waitFor();
  t.pass('paused');

  await card.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Time', { exact: true }).fill('10:15');
  await page.getByRole('button', { name: 'Save' }).click();
  await card.getByText('Every Monday at 10:15 (Europe/Rome)').waitFor();
  t.pass('edited');
  await card.getByRole('button', { name: 'Executions' }).click();
  await card.getByText('Not run yet.').waitFor();
  t.pass('no executions yet');

  await card.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByText(/No recurring calls yet/).waitFor();
  t.pass('deleted');
});

t.test('the audit log shows the changes just made, with secrets masked in the before/after view', async (t) => {
  const acme = ((await portal.sp.ok('GET', '/api/v1/customers')) as Array<{ id: string; slug: string }>).find((c) => c.slug === 'acme')!;
  await portal.sp.ok('POST', `/api/v1/customers/${acme.id}/trunks`, { name: 'audit-trunk', host: '127.0.0.1', username: 'acme', password: TRUNK_PASSWORD });

  await page.goto('/audit-log');
  await page.getByLabel('Audit entries').waitFor();
  await screenshot(page, 'audit-log');
  await page.getByLabel('Resource type').fill('recurring_call');
  await page.getByLabel('Resource type').press('Enter');
  await page.getByText('4 entries', { exact: true }).waitFor(); // created, paused, edited, deleted
  const entries = page.getByLabel('Audit entries');
  t.ok(await entries.getByText(/^recurring_call_created recurring_call/).first().isVisible(), 'the recurring call\'s creation');
  t.ok(await entries.getByText(DEMO.acmeAdmin.email).first().isVisible(), 'by the admin who made it');

  await page.getByLabel('Resource type').fill('trunk');
  await page.getByLabel('Action').fill('create');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByText(/^1 entries$/).waitFor();
  await page.getByRole('button', { name: 'Show changes' }).click();
  const changes = page.getByRole('table', { name: 'Changes' });
  await changes.waitFor();
  const password = changes.getByRole('row').filter({ hasText: /password/ });
  t.equal(await password.count(), 1, 'the password has its row');
  t.match(await password.textContent(), /\*\*\*/, 'masked');
  t.notOk((await page.content()).includes(TRUNK_PASSWORD), 'the password itself is nowhere on the page');
  t.ok(await changes.getByText('audit-trunk').isVisible(), 'the trunk\'s name as it became');
  await screenshot(page, 'audit-log-diff');
});

t.test('the FreeSWITCH preview shows the directory, dialplan and sofia.conf XML', async (t) => {
  await page.goto('/freeswitch');
  const xml = page.getByLabel('XML');
  await xml.waitFor();
  t.match(await xml.textContent(), /<user id="1001"/, 'the first extension\'s directory entry');
  await screenshot(page, 'freeswitch-directory');
  await choose(page, 'Extension', '1002');
  await xml.getByText(/<user id="1002"/).waitFor();
  t.pass('another extension chosen');
  await page.getByText('Dialplan', { exact: true }).click();
  await xml.getByText(/\+390510510510|390510510510/).first().waitFor();
  t.pass('a number\'s dialplan');
  await screenshot(page, 'freeswitch-dialplan');
  await page.getByText('sofia.conf', { exact: true }).click();
  await xml.getByText(/gateway/).first().waitFor();
  t.notMatch(await xml.textContent(), /password" value="(?!\*{8})/, 'trunk passwords are masked');
  await screenshot(page, 'freeswitch-sofia');
});

t.test('at 375 px the pages fit the width', async (t) => {
  const phone = await session.newPage({ baseURL: portal.url, viewport: { width: 375, height: 740 } });
  await login(phone, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  for (const [path, ready] of [['/recurring-calls', 'heading'], ['/audit-log', 'Audit entries'], ['/freeswitch', 'XML']] as const) {
    await phone.goto(path);
    await (ready === 'heading' ? phone.getByRole('heading', { level: 1 }).first() : phone.getByLabel(ready)).waitFor();
    t.ok(await fitsWidth(phone), `${path} does not scroll sideways`);
    await screenshot(phone, `${path.slice(1)}-375`);
  }
});

t.test('the pages reported no errors', async (t) => {
  const expected = (p: PageProblem) => /status of 400/.test(p.text) || (/status of 401/.test(p.text) && p.source?.endsWith('/api/v1/auth/session') === true);
  t.same(session.problems.filter((p) => !expected(p)), [], 'no console errors or page errors besides the field error asked for and session checks without a session');
});
