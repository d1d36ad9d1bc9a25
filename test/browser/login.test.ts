/**
 * Logging in and out of the portal in headless Chromium, against a Switchplane process with the
 * demo tenants: the demo admin reaches the dashboard, a wrong password is refused on the form,
 * the session cookie is HttpOnly and SameSite=Lax, a cookie-authenticated write needs the CSRF
 * header, and logging out ends the session on the server (the old cookie answers 401).
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { DEMO, loggedOutProbe, login, openBrowser, portalServer, screenshot, settled, type BrowserSession, type PortalServer } from '../helpers/browser.js';

t.setTimeout(180_000);
let portal: PortalServer;
let session: BrowserSession;

t.before(async () => {
  portal = await portalServer(t);
  session = await openBrowser(t, { baseURL: portal.url });
});

/** `fetch` from inside the page (same origin, its cookies), with the status and the JSON body. */
function pageFetch(page: Page, url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  return page.evaluate(async ({ url, init }) => {
    const res = await fetch(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined };
  }, { url, init });
}

/** The session cookie of the page's context. */
async function sessionCookie(page: Page) {
  return (await page.context().cookies()).find((c) => c.name === 'sp_session');
}

/** The API as a client holding only `cookie` (no browser): status of GET `path`. */
async function statusWithCookie(path: string, cookie: string): Promise<number> {
  return (await fetch(`${portal.url}${path}`, { headers: { cookie: `sp_session=${cookie}` } })).status;
}

/**
 * Problems other than the browser's lines for answers the tests asked for: nobody logged in yet
 * (401 of /auth/session), the wrong password (401 of /auth/login), the writes without CSRF token
 * (403 of /extensions).
 */
const unexpected = (s: BrowserSession) =>
  s.problems.filter((p) => !loggedOutProbe(p) && !(p.source?.endsWith('/api/v1/auth/login') && /status of 401\b/.test(p.text)) && !(p.source?.endsWith('/api/v1/extensions') && /status of 403\b/.test(p.text)));

t.test('the demo admin logs in with the form and sees the dashboard', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  t.equal(new URL(page.url()).pathname, '/', 'on the dashboard route');
  // The route changes before the dashboard has rendered: wait for it (15 s at most) before looking.
  const heading = page.getByRole('heading', { level: 1, name: /dashboard/i });
  await heading.waitFor().catch(() => undefined);
  t.ok(await heading.isVisible(), 'the dashboard heading');
  const customer = page.getByText('Acme Corp').first();
  await customer.waitFor().catch(() => undefined);
  t.ok(await customer.isVisible(), 'the customer is named');
  await screenshot(page, 'login-dashboard-admin');

  const me = await pageFetch(page, '/api/v1/auth/session');
  t.equal(me.status, 200);
  t.match(me.body.data.user, { email: DEMO.acmeAdmin.email, role: 'admin', tenantName: 'Acme Corp' });
  t.type(me.body.data.csrfToken, 'string');
});

t.test('the session cookie is HttpOnly, SameSite=Lax, not Secure over plain HTTP, and not readable by scripts', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  const cookie = await sessionCookie(page);
  t.ok(cookie, 'sp_session set');
  t.equal(cookie!.httpOnly, true, 'HttpOnly');
  t.equal(cookie!.sameSite, 'Lax', 'SameSite=Lax');
  t.equal(cookie!.secure, false, 'not Secure: the request came over plain HTTP');
  t.equal(cookie!.path, '/');
  t.notMatch(await page.evaluate(() => document.cookie), /sp_session/, 'document.cookie does not show it');
});

t.test('a wrong password is refused with a message, on the login page, with no session', async (t) => {
  const page = await session.newPage();
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(DEMO.acmeAdmin.email);
  await page.getByLabel('Password', { exact: true }).fill('not-the-password');
  await page.getByLabel('Password', { exact: true }).press('Enter');
  const message = page.getByRole('alert').filter({ hasText: 'the email or the password is wrong' });
  await message.waitFor();
  t.ok(await message.isVisible(), 'the refusal is shown');
  t.equal(new URL(page.url()).pathname, '/login', 'still on the login page');
  await screenshot(page, 'login-refused');
  t.equal((await pageFetch(page, '/api/v1/auth/session')).status, 401, 'no session');
  const cookie = await sessionCookie(page);
  if (cookie) t.equal(await statusWithCookie('/api/v1/auth/session', cookie.value), 401, 'a cookie, if any, is not a session');

  const unknown = await pageFetch(page, '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: { email: 'nobody@acme.switchplane.test', password: 'x-x-x-x-x' } });
  const wrong = await pageFetch(page, '/api/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: { email: DEMO.acmeAdmin.email, password: 'x-x-x-x-x' } });
  t.equal(wrong.status, 401);
  t.same(unknown, wrong, 'an unknown email and a wrong password get the same answer');
  t.equal(wrong.body.error.code, 'invalid_credentials');
});

t.test('a cookie-authenticated write without the CSRF header is refused with 403; with it, it goes through', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  const body = { extensionNumber: '1077', displayName: 'CSRF check' };
  const without = await pageFetch(page, '/api/v1/extensions', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  t.equal(without.status, 403, 'no x-csrf-token: 403');
  const wrongToken = await pageFetch(page, '/api/v1/extensions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': 'forged' }, body });
  t.equal(wrongToken.status, 403, 'a forged x-csrf-token: 403');
  const acme = (await portal.sp.ok('GET', '/api/v1/customers')).find((c: any) => c.slug === 'acme');
  const numbers = async () => (await portal.sp.ok('GET', `/api/v1/customers/${acme.id}/extensions?limit=200`)).map((e: any) => e.extensionNumber);
  t.notOk((await numbers()).includes('1077'), 'nothing was created');

  const { csrfToken } = (await pageFetch(page, '/api/v1/auth/session')).body.data;
  const withToken = await pageFetch(page, '/api/v1/extensions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken }, body });
  t.equal(withToken.status, 201, 'the same write with the session\'s token');
  t.ok((await numbers()).includes('1077'));
});

t.test('logging out ends the session: the old cookie then answers 401', async (t) => {
  const page = await session.newPage();
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
  const cookie = (await sessionCookie(page))!.value;
  t.equal(await statusWithCookie('/api/v1/auth/session', cookie), 200, 'the cookie alone is a session before');
  t.equal(await statusWithCookie('/api/v1/extensions', cookie), 200);

  // The dashboard's requests answered first (today's figures, the hourly chart): one still on its
  // way when the session ends is refused with 401 like any other, which is not what this tests.
  await page.getByText(/^\d+ answered$/).waitFor();
  await settled(page);
  await page.getByRole('button', { name: `User menu of ${DEMO.acmeAdmin.email}` }).click();
  await page.getByRole('menuitem', { name: 'Log out' }).click();
  await page.waitForURL((u) => u.pathname === '/login');
  await page.getByLabel('Email', { exact: true }).waitFor();
  t.equal(new URL(page.url()).pathname, '/login', 'back on the login page');
  t.equal(await statusWithCookie('/api/v1/auth/session', cookie), 401, 'the old cookie is no session');
  t.equal(await statusWithCookie('/api/v1/extensions', cookie), 401, 'nor does the API take it');
  t.equal((await pageFetch(page, '/api/v1/auth/session')).status, 401, 'the browser is logged out too');

  await page.goto('/trunks');
  await page.waitForURL((u) => u.pathname === '/login');
  t.equal(new URL(page.url()).pathname, '/login', 'a portal page sends a logged-out browser to /login');
});

t.test('the pages reported no errors besides the refusals the tests asked for', async (t) => {
  t.same(unexpected(session), []);
});
