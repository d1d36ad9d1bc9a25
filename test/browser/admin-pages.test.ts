/**
 * The administration pages in headless Chromium against a Switchplane process with the demo
 * tenants: API keys (an operator creates one, it is shown once and works; revoked, it answers
 * 401), users (Acme's admin invites an agent; the link, opened in another browser, sets the
 * password and logs the new agent in; the admin changes its role and disables it, which ends its
 * session; a reset link), customers (an operator creates one, sees a field error, edits it and
 * opens it), each page at 375 px without horizontal scrolling.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { DEMO, login, openBrowser, portalServer, screenshot, type BrowserSession, type PageProblem, type PortalServer } from '../helpers/browser.js';

t.setTimeout(240_000);
let portal: PortalServer;
let session: BrowserSession;

t.before(async () => {
  portal = await portalServer(t);
  session = await openBrowser(t, { baseURL: portal.url });
});

/** Status of GET `path` with a Bearer key, as a client outside the browser. */
const statusWithKey = async (path: string, key: string) => (await fetch(`${portal.url}${path}`, { headers: { authorization: `Bearer ${key}` } })).status;
/** The logged-in person of `page`'s session (its cookie), or the status when there is none. */
const whoIs = (page: Page) => page.evaluate(async () => {
  const res = await fetch('/api/v1/auth/session');
  return res.ok ? ((await res.json()) as { data: { user: { email: string; role: string } } }).data.user : res.status;
});
const fitsWidth = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
/** Picks `option` in the Mantine Select labelled `label` of the open dialog (the header has a "Customer" picker too). */
async function choose(page: Page, label: string, option: string | RegExp) {
  await page.getByRole('dialog').getByRole('textbox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option }).click();
}

t.test('API keys: an operator creates a key, sees it once, uses it, revokes it', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.operator.email, DEMO.operator.password);
  await page.goto('/api-keys');
  await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor();
  await page.getByRole('table', { name: 'API keys' }).waitFor();
  await page.getByRole('button', { name: 'New API key' }).click();
  await page.getByLabel('Name', { exact: true }).fill('browser test key');
  await choose(page, 'Customer', 'Acme Corp');
  await page.getByRole('button', { name: 'Create key' }).click();
  const created = page.getByRole('dialog', { name: 'API key created' });
  await created.waitFor();
  const key = (await created.getByLabel('New API key', { exact: true }).textContent())!.trim();
  t.match(key, /^sp_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/, 'the key is shown');
  t.ok(await page.getByText(/shown only this once/).isVisible(), 'with the warning');
  t.ok(await page.getByRole('button', { name: 'Copy key' }).isVisible(), 'and a copy button');
  await screenshot(page, 'api-keys-created');
  t.equal(await statusWithKey('/api/v1/trunks', key), 200, 'the key works on its customer');

  await page.getByRole('button', { name: 'Done' }).click();
  const row = page.getByRole('row').filter({ hasText: 'browser test key' });
  await row.waitFor();
  t.notOk((await page.content()).includes(key), 'the list never shows the key again');
  await page.getByRole('button', { name: 'Revoke browser test key' }).click();
  await page.getByRole('button', { name: 'Revoke key' }).click();
  await row.getByText('revoked').waitFor();
  t.equal(await statusWithKey('/api/v1/trunks', key), 401, 'the revoked key is refused');
  await screenshot(page, 'api-keys-revoked');
});

t.test('users: an admin invites an agent, who sets a password through the link and logs in', async (t) => {
  const admin = await session.newPage();
  await login(admin, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  await admin.goto('/users');
  await admin.getByRole('table', { name: 'Users' }).getByText(DEMO.acmeAgent.email).waitFor();
  await screenshot(admin, 'users-list');
  await admin.getByRole('button', { name: 'Invite' }).click();
  await admin.getByLabel('Email', { exact: true }).fill('new.agent@acme.switchplane.test');
  await admin.getByLabel('Name', { exact: true }).fill('New Agent');
  await choose(admin, 'Linked extension', /^1002/);
  await admin.getByRole('button', { name: 'Invite', exact: true }).last().click();
  const shown = admin.getByLabel('One-time link');
  await shown.waitFor();
  const link = (await shown.textContent())!.trim();
  t.match(link, new RegExp(`^${portal.url}/accept\\?token=`), 'the invite link is shown');
  t.ok(await admin.getByRole('button', { name: 'Copy link' }).isVisible(), 'with a copy button');
  await screenshot(admin, 'users-invite-link');
  await admin.getByRole('button', { name: 'Done' }).click();
  const row = admin.getByRole('row').filter({ hasText: 'new.agent@acme.switchplane.test' });
  t.ok(await row.getByText('invited').isVisible(), 'listed as invited');

  const agent = await session.newPage();
  await agent.goto(link);
  await agent.getByLabel('New password', { exact: true }).fill('a-new-agent-password');
  await agent.getByLabel('Repeat the password', { exact: true }).fill('a-new-agent-password');
  await agent.getByLabel('Repeat the password', { exact: true }).press('Enter');
  await agent.waitForURL((u) => u.pathname !== '/accept');
  await agent.getByRole('heading', { level: 1 }).first().waitFor();
  t.match(await whoIs(agent), { email: 'new.agent@acme.switchplane.test', role: 'agent' }, 'the new agent is logged in');
  await screenshot(agent, 'users-invited-agent-logged-in');

  const again = await session.newPage();
  await login(again, 'new.agent@acme.switchplane.test', 'a-new-agent-password');
  t.match(await whoIs(again), { email: 'new.agent@acme.switchplane.test' }, 'and logs in with the new password');

  await admin.reload();
  await row.getByText('active').waitFor();
  await admin.getByRole('button', { name: 'Edit new.agent@acme.switchplane.test' }).click();
  await choose(admin, 'Role', /^Admin/);
  await admin.getByRole('button', { name: 'Save' }).click();
  await row.getByRole('cell', { name: 'admin', exact: true }).waitFor();
  t.pass('the role is now admin');

  await admin.getByRole('button', { name: 'Disable new.agent@acme.switchplane.test' }).click();
  await admin.getByRole('dialog').getByRole('button', { name: 'Disable' }).click();
  await row.getByText('disabled').waitFor();
  t.equal(await whoIs(agent), 401, 'disabling ended the session');

  await admin.getByRole('button', { name: `Reset ${DEMO.acmeAgent.email}` }).click();
  await shown.waitFor();
  t.match((await shown.textContent())!.trim(), /\/accept\?token=/, 'a reset link for the demo agent');
  await admin.getByRole('button', { name: 'Done' }).click();
});

t.test('customers: an operator creates one, sees a field error, edits it and opens it', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.operator.email, DEMO.operator.password);
  await page.goto('/customers');
  const table = page.getByRole('table', { name: 'Customers' });
  await table.getByText('Acme Corp').waitFor();
  await screenshot(page, 'customers-list');
  await page.getByRole('button', { name: 'New customer' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Initech');
  await page.getByLabel('SIP domain', { exact: true }).fill('initech.switchplane.test');
  await page.getByLabel('Time zone', { exact: true }).fill('Mars/Olympus');
  await page.getByRole('button', { name: 'Save' }).click();
  const fieldError = page.getByText(/not an IANA time zone/);
  await fieldError.waitFor();
  t.ok(await fieldError.isVisible(), 'the API\'s error is at the time zone field');
  await page.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
  await page.getByRole('button', { name: 'Save' }).click();
  await table.getByRole('cell', { name: 'Initech', exact: true }).waitFor();

  await page.getByRole('button', { name: 'Edit Initech' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Initech GmbH');
  await page.getByRole('button', { name: 'Save' }).click();
  await table.getByRole('cell', { name: 'Initech GmbH', exact: true }).waitFor();
  t.pass('renamed');

  await page.getByRole('button', { name: 'Open Initech GmbH' }).click();
  await page.waitForURL((u) => u.pathname === '/');
  const chosen = await page.evaluate(() => sessionStorage.getItem('switchplane.tenantId'));
  const customers = await (await fetch(`${portal.url}/api/v1/customers`, { headers: { authorization: `Bearer ${portal.adminKey}` } })).json() as { data: Array<{ id: string; name: string }> };
  t.equal(chosen, customers.data.find((c) => c.name === 'Initech GmbH')?.id, 'the opened customer is the chosen one');
});

t.test('at 375 px the pages fit the width', async (t) => {
  const page = await session.newPage({ baseURL: portal.url, viewport: { width: 375, height: 740 } });
  await login(page, DEMO.operator.email, DEMO.operator.password);
  for (const [path, name] of [['/api-keys', 'API keys'], ['/customers', 'Customers']] as const) {
    await page.goto(path);
    await page.getByRole('table', { name }).waitFor();
    t.ok(await fitsWidth(page), `${path} does not scroll sideways`);
    await screenshot(page, `${path.slice(1)}-375`);
  }
  const admin = await session.newPage({ baseURL: portal.url, viewport: { width: 375, height: 740 } });
  await login(admin, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  await admin.goto('/users');
  await admin.getByRole('table', { name: 'Users' }).waitFor();
  t.ok(await fitsWidth(admin), '/users does not scroll sideways');
  await screenshot(admin, 'users-375');
});

t.test('the pages reported no errors', async (t) => {
  const expected = (p: PageProblem) => /status of 400/.test(p.text) || (/status of 401/.test(p.text) && p.source?.endsWith('/api/v1/auth/session') === true);
  t.same(session.problems.filter((p) => !expected(p)), [], 'no console errors or page errors besides the field error asked for and session checks without a session');
});
