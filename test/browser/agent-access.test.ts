/**
 * What a logged-in person may open, in headless Chromium against a Switchplane process with the
 * demo tenants: the demo agent of Acme sees only agent pages in the navigation, admin pages opened
 * by URL show "not allowed" and their API answers 403; another customer's CDR or extension by
 * URL is not found (404), for Acme's agent and for Acme's admin alike; an agent does not see the
 * calls of another extension of its own customer either.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { DEMO, login, openBrowser, portalServer, screenshot, storeCdr, type BrowserSession, type PortalServer } from '../helpers/browser.js';

t.setTimeout(180_000);
/** Admin pages and the API route each one reads. */
const ADMIN_PAGES = [
  { path: '/trunks', nav: 'Trunks', api: '/api/v1/trunks' },
  { path: '/numbers', nav: 'Numbers', api: '/api/v1/phone-numbers' },
  { path: '/recurring-calls', nav: 'Recurring calls', api: '' /* per extension: its item routes only */ },
  { path: '/users', nav: 'Users', api: '/api/v1/users' },
  { path: '/api-keys', nav: 'API keys', api: '/api/v1/api-keys' },
  { path: '/audit-log', nav: 'Audit log', api: '/api/v1/audit-log' },
  { path: '/customers', nav: 'Customers', api: '/api/v1/customers' },
  { path: '/freeswitch', nav: 'FreeSWITCH config', api: '' /* per customer, below */ },
];

let portal: PortalServer;
let session: BrowserSession;
let acmeId: string;
let globexId: string;
let globexExtensionId: string;
/** CDR ids: a Globex call, an Acme call of extension 1001 (the demo agent's), one of 1002. */
const cdr = { globex: '', acme1001: '', acme1002: '' };

/** A CDR of `tenantId` from extension `user`, its caller `caller`: its id. */
const cdrOf = async (tenantId: string, user: string, caller: string) =>
  (await storeCdr(portal.sp, tenantId, { extension: user, caller })).id;

/** GET `url` from inside the page (its session cookie): the status. */
const statusOf = (page: Page, url: string, headers: Record<string, string> = {}) =>
  page.evaluate(async ({ url, headers }) => (await fetch(url, { headers })).status, { url, headers });

/** The names of the links in the portal's navigation. */
async function navLinks(page: Page): Promise<string[]> {
  const nav = page.getByRole('navigation').first();
  await nav.getByRole('link').first().waitFor();
  return (await nav.getByRole('link').allInnerTexts()).map((s) => s.trim());
}

t.before(async () => {
  portal = await portalServer(t);
  session = await openBrowser(t, { baseURL: portal.url });
  const customers = await portal.sp.ok('GET', '/api/v1/customers');
  acmeId = customers.find((c: any) => c.slug === 'acme').id;
  globexId = customers.find((c: any) => c.slug === 'globex').id;
  globexExtensionId = (await portal.sp.ok('GET', `/api/v1/customers/${globexId}/extensions`)).find((e: any) => e.extensionNumber === '1001').id;
  cdr.globex = await cdrOf(globexId, '1001', '+15557770001');
  cdr.acme1001 = await cdrOf(acmeId, '1001', '+390557770002');
  cdr.acme1002 = await cdrOf(acmeId, '1002', '+390557770003');
});

t.test('the demo agent sees only agent pages in the navigation', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.acmeAgent.email, DEMO.acmeAgent.password);
  const links = await navLinks(page);
  for (const { nav } of ADMIN_PAGES) t.notOk(links.some((l) => l.toLowerCase() === nav.toLowerCase()), `no ${nav} link`);
  t.ok(links.includes('Phone'), 'the softphone is there');
  t.ok(links.includes('Calls'), 'its calls are there');
  t.ok(links.includes('My extension'), 'its own extension is there');
  await screenshot(page, 'agent-access-nav');

  const admin = await session.newPage();
  await login(admin, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  const adminLinks = await navLinks(admin);
  for (const nav of ['Trunks', 'Users', 'API keys', 'Audit log', 'FreeSWITCH config']) t.ok(adminLinks.includes(nav), `the admin has ${nav}`);
});

t.test('admin pages opened by URL show "not allowed" to the agent, and their API answers 403', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.acmeAgent.email, DEMO.acmeAgent.password);
  for (const { path, api } of ADMIN_PAGES) {
    await page.goto(path);
    const refusal = page.getByText(/not allowed/i).first();
    await refusal.waitFor();
    t.ok(await refusal.isVisible(), `${path}: not allowed`);
    t.equal(new URL(page.url()).pathname, path, `${path}: the address stays`);
    await screenshot(page, `agent-access-refused${path.replace('/', '-')}`);
    if (api) t.equal(await statusOf(page, api), 403, `GET ${api}: 403`);
  }
  t.notOk(await page.goto('/trunks').then(() => page.getByText('acme-main').isVisible()), 'no trunk is shown');
  t.equal(await statusOf(page, `/api/v1/customers/${acmeId}/freeswitch_config`), 403, 'the FreeSWITCH preview API: 403');
  t.equal(await statusOf(page, `/api/v1/customers/${acmeId}/trunks`), 403, 'the path form as well');
});

t.test('the agent opens its own call, but not another extension\'s nor another customer\'s (404)', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.acmeAgent.email, DEMO.acmeAgent.password);
  t.equal(await statusOf(page, `/api/v1/cdrs/${cdr.acme1001}`), 200, 'its own call');
  await page.goto(`/calls/${cdr.acme1001}`);
  await page.getByText('+390557770002').first().waitFor();
  t.ok(await page.getByText('+390557770002').first().isVisible(), 'its own call\'s detail shows the caller');

  for (const [what, id, caller] of [['Globex', cdr.globex, '+15557770001'], ['extension 1002', cdr.acme1002, '+390557770003']] as const) {
    t.equal(await statusOf(page, `/api/v1/cdrs/${id}`), 404, `${what}'s CDR: 404`);
    await page.goto(`/calls/${id}`);
    const notFound = page.getByText(/not found/i).first();
    await notFound.waitFor();
    t.ok(await notFound.isVisible(), `${what}'s call page: not found`);
    t.notOk(await page.getByText(caller).first().isVisible(), `${what}'s caller is not shown`);
  }
  await screenshot(page, 'agent-access-other-customer-call');
  t.equal(await statusOf(page, `/api/v1/extensions/${globexExtensionId}`), 404, 'a Globex extension: 404');
  t.equal(await statusOf(page, `/api/v1/extensions/${globexExtensionId}/credentials`), 404, 'its credentials: 404');
});

t.test('the admin of Acme cannot see Globex\'s data by URL either', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  t.equal(await statusOf(page, `/api/v1/cdrs/${cdr.acme1002}`), 200, 'any call of Acme');
  t.equal(await statusOf(page, `/api/v1/cdrs/${cdr.globex}`), 404, 'a Globex CDR: 404');
  t.equal(await statusOf(page, `/api/v1/extensions/${globexExtensionId}`), 404, 'a Globex extension: 404');
  await page.goto(`/calls/${cdr.globex}`);
  const notFound = page.getByText(/not found/i).first();
  await notFound.waitFor();
  t.ok(await notFound.isVisible(), 'the Globex call page: not found');
  t.notOk(await page.getByText('+15557770001').first().isVisible(), 'the Globex caller is not shown');

  const asGlobex = await page.evaluate(async (globexId) => {
    const res = await fetch('/api/v1/extensions', { headers: { 'x-tenant-id': globexId } });
    return { status: res.status, text: await res.text() };
  }, globexId);
  t.notMatch(asGlobex.text, globexExtensionId, `X-Tenant-ID of Globex gives no Globex extension (status ${asGlobex.status})`);
  t.equal(await statusOf(page, `/api/v1/customers/${globexId}/extensions`), 404, 'the Globex path form: 404 (no such customer for this login)');
});
