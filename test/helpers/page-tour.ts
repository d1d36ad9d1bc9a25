/**
 * The portal's page tour (test/browser/page-tour-*.test.ts): every page of the portal as a role
 * sees it, in headless Chromium on the real switch (so the agent's softphone page registers for
 * real), with the demo tenants: the operator (Acme chosen in the customer picker), Acme's admin
 * and Acme's agent open every page their navigation lists, plus a call's detail (and, in the
 * operator's file, the login page), at 1280×800 and at 375×740. Each page has an `h1`, finishes
 * loading, reports no console error or uncaught exception, and at 375 px needs no horizontal
 * scroll; each is kept as a screenshot (test-output/screenshots/tour-<role>-<page>-<width>.png).
 * The navigation is usable with the keyboard: Tab reaches every link, Enter follows it (at 375 px
 * after opening the folded menu with the keyboard). One file per role, each with its own switch,
 * Switchplane and browser, so that no file takes much over a minute.
 */
import type { Test } from 'tap';
import type { Page } from 'playwright-core';
import { buildPortal, DEMO, loggedOutProbe, login, openBrowser, screenshot, settled, storeCdr, type BrowserSession, type PageProblem } from './browser.js';
import { startRealSwitch, type RealSwitch } from './real-switch.js';

const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 375, height: 740 };

/** What each role must find in its navigation (it may find more) and where Enter is tried. */
const ROLES = [
  {
    role: 'operator',
    login: DEMO.operator,
    must: ['Dashboard', 'Calls', 'Extensions', 'Trunks', 'Numbers', 'Recurring calls', 'Users', 'API keys', 'Audit log', 'FreeSWITCH config', 'Customers'],
    enterOn: '/customers',
  },
  {
    role: 'admin',
    login: DEMO.acmeAdmin,
    must: ['Dashboard', 'Calls', 'Extensions', 'Trunks', 'Numbers', 'Recurring calls', 'Users', 'API keys', 'Audit log', 'FreeSWITCH config'],
    enterOn: '/trunks',
  },
  { role: 'agent', login: DEMO.acmeAgent, must: ['Dashboard', 'Calls', 'Phone', 'My extension'], enterOn: '/calls' },
] as const;

/** A role of the tour: `operator`, `admin` or `agent`. */
export type TourRole = (typeof ROLES)[number]['role'];

/** The navigation's links: label and path. */
async function navLinks(page: Page): Promise<Array<{ label: string; href: string }>> {
  const links = page.getByRole('navigation', { name: 'Pages' }).getByRole('link');
  await links.first().waitFor({ state: 'attached' });
  return links.evaluateAll((as) => as.map((a) => ({ label: (a.textContent ?? '').trim(), href: a.getAttribute('href') ?? '' })));
}

/** Opens `path`, checks it (h1, no problems, no horizontal scroll at 375 px) and keeps a screenshot. */
async function visit(t: Test, session: BrowserSession, page: Page, role: string, path: string, size: { width: number }, expected: (p: PageProblem) => boolean = () => false): Promise<void> {
  const before = session.problems.length;
  await page.goto(path);
  await settled(page);
  const name = path === '/' ? 'dashboard' : path.slice(1).replace(/\/[0-9a-f-]{36}$/, '-detail').replaceAll('/', '-');
  await screenshot(page, `tour-${role}-${name}-${size.width}`);
  const where = `${role} ${path} at ${size.width} px`;
  t.ok(await page.getByRole('heading', { level: 1 }).first().isVisible(), `${where}: an h1`);
  if (size.width === NARROW.width) {
    t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), `${where}: no horizontal scroll (scrollWidth ${await page.evaluate(() => document.documentElement.scrollWidth)})`);
  }
  t.same(session.problems.slice(before).filter((p) => !expected(p)), [], `${where}: no console errors`);
}

/** Presses Tab until a navigation link to `href` has the focus; resolves with the navigation hrefs focused on the way. */
async function tabTo(page: Page, href: string): Promise<string[]> {
  const seen: string[] = [];
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      return el instanceof HTMLAnchorElement && el.closest('nav') ? el.getAttribute('href') : null;
    });
    if (focused) seen.push(focused);
    if (focused === href) return seen;
  }
  throw new Error(`Tab did not reach the ${href} link (reached ${seen.join(', ') || 'no link'})`);
}


/**
 * The tour of `role` in the file `t`: its own real switch, Switchplane (demo data) and browser, a
 * stored call of Acme's extension 1001 for the detail page; `withLoginPage` adds the login page,
 * logged out, at both widths.
 */
export function tourRole(t: Test, role: TourRole, withLoginPage = false): void {
  const { login: who, must, enterOn } = ROLES.find((r) => r.role === role)!;
  let rs: RealSwitch;
  let session: BrowserSession;
  /** A call of Acme's extension 1001 (the demo agent's), for the detail page. */
  let callId: string;

  t.before(async () => {
    await buildPortal();
    rs = await startRealSwitch(t, `page-tour-${role}`, { DEMO_SEED: 'true', OPERATOR_PASSWORD: DEMO.operator.password });
    session = await openBrowser(t, { baseURL: rs.sp.url });
    const acme = (await rs.sp.ok('GET', '/api/v1/customers')).find((c: { slug: string }) => c.slug === 'acme');
    callId = (await storeCdr(rs.sp, acme.id, { extension: '1001', caller: '+390557770009' }, rs.credentials)).id;
  });

  if (withLoginPage) t.test('the login page, logged out, at both widths', async (t) => {
    const page = await session.newPage();
    for (const size of [WIDE, NARROW]) {
      await page.setViewportSize(size);
      await visit(t, session, page, 'visitor', '/login', size, loggedOutProbe);
    }
  });

  t.test(`${role}: every page of the navigation at 1280 and 375 px, and the keyboard`, async (t) => {
    const page = await session.newPage({ baseURL: rs.sp.url, viewport: WIDE });
    await login(page, who.email, who.password);
    if (role === 'operator') {
      await page.getByRole('textbox', { name: 'Customer' }).click();
      await page.getByRole('option', { name: 'Acme Corp' }).click();
    }
    const links = await navLinks(page);
    const labels = links.map((l) => l.label);
    for (const label of must) t.ok(labels.includes(label), `${role}'s navigation lists ${label}`);
    const paths = [...links.map((l) => l.href), `/calls/${callId}`];

    for (const size of [WIDE, NARROW]) {
      await page.setViewportSize(size);
      for (const path of paths) await visit(t, session, page, role, path, size);
    }

    await page.setViewportSize(WIDE);
    await page.goto('/');
    await settled(page);
    const reached = await tabTo(page, links.at(-1)!.href);
    t.same(reached.filter((h) => links.some((l) => l.href === h)), links.map((l) => l.href), 'Tab reaches every link of the navigation, in order');
    await page.goto('/');
    await settled(page);
    await tabTo(page, enterOn);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === enterOn);
    await settled(page);
    t.equal(new URL(page.url()).pathname, enterOn, `at 1280 px Enter on the focused link opens ${enterOn}`);

    await page.setViewportSize(NARROW);
    await page.goto('/');
    await settled(page);
    const burger = page.getByRole('button', { name: 'Open navigation' });
    for (let i = 0; i < 20 && !(await burger.evaluate((el) => el === document.activeElement)); i++) await page.keyboard.press('Tab');
    t.ok(await burger.evaluate((el) => el === document.activeElement), 'at 375 px Tab reaches the menu button');
    await page.keyboard.press('Enter');
    await tabTo(page, enterOn);
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === enterOn);
    await settled(page);
    t.equal(new URL(page.url()).pathname, enterOn, `at 375 px the menu opened with Enter, then Enter on ${enterOn} opens it`);
    await screenshot(page, `tour-${role}-keyboard-375`);
  });
}
