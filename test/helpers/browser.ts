/**
 * The portal in a real browser: headless Debian Chromium driven by playwright-core
 * (CHROMIUM_BIN, default /usr/bin/chromium; scripts/test-setup.sh installs it when missing), and
 * Switchplane in its own process serving the built portal (web/dist) with the demo tenants and
 * their demo logins. Everything a helper starts stops when the test ends.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { eventually } from './eventually.js';
import { CHILD_ROOT, entry, nodeArgs } from './node-child.js';
import { REPO_ROOT, SHARED_DIR } from './repo-paths.js';
import { freePort } from './sipp.js';
import { startSwitchplane, type SwitchplaneProcess } from './switchplane-process.js';

/** Where `screenshot` writes: `test-output/screenshots/<name>.png` under the repository. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-output', 'screenshots');

/** The demo logins the embedded default seeds (src/seed/), and the operator's password the tests set. */
export const DEMO = {
  acmeAdmin: { email: 'admin@acme.switchplane.test', password: 'acme-admin-demo' },
  acmeAgent: { email: 'agent@acme.switchplane.test', password: 'acme-agent-demo' },
  globexAdmin: { email: 'admin@globex.switchplane.test', password: 'globex-admin-demo' },
  globexAgent: { email: 'agent@globex.switchplane.test', password: 'globex-agent-demo' },
  operator: { email: 'operator@switchplane.local', password: 'operator-test-password' },
} as const;

/** A problem the page reported: a console message of type `error`, or an uncaught exception. */
export interface PageProblem {
  kind: 'console' | 'pageerror';
  /** The page's URL when it happened. */
  url: string;
  text: string;
  /** Where the message came from: a script, or the resource that failed to load. */
  source?: string;
}

export interface BrowserOptions {
  /** Base URL for relative `page.goto('/trunks')`, usually `portalServer(t).url`. */
  baseURL?: string;
  /** Viewport in CSS pixels (default 1280×800). */
  viewport?: { width: number; height: number };
}

export interface BrowserSession {
  browser: Browser;
  /** The first context (its own cookie jar) and its page. */
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions of every page opened through this session, in order. */
  problems: PageProblem[];
  /** Another context (a second person: own cookies) with one page, its problems collected too. */
  newPage(opts?: BrowserOptions): Promise<Page>;
}

/**
 * Whether `p` is the browser's line for the portal asking whether anyone is logged in while nobody
 * is (`GET /api/v1/auth/session` → 401, on /login and after logging out): expected, not a fault.
 */
export const loggedOutProbe = (p: PageProblem): boolean => p.source?.endsWith('/api/v1/auth/session') === true && /status of 401\b/.test(p.text);

/** Every page's console errors and page errors go to `problems`. */
function watch(page: Page, problems: PageProblem[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push({ kind: 'console', url: page.url(), text: msg.text(), source: msg.location().url });
  });
  page.on('pageerror', (err) => problems.push({ kind: 'pageerror', url: page.url(), text: String(err.stack ?? err) }));
}

/**
 * Launches headless Chromium (closed in `t.teardown`) with a fake camera and microphone that need
 * no permission prompt, and opens one page.
 * @param opts.args more Chromium switches
 */
export async function openBrowser(t: Test, opts: BrowserOptions & { args?: string[] } = {}): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', ...(opts.args ?? [])],
  });
  t.teardown(() => browser.close());
  const problems: PageProblem[] = [];
  const contextOf = async (o: BrowserOptions) => {
    const context = await browser.newContext({ viewport: o.viewport ?? { width: 1280, height: 800 }, ...(o.baseURL ? { baseURL: o.baseURL } : {}) });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    watch(page, problems);
    return { context, page };
  };
  const first = await contextOf(opts);
  return { browser, ...first, problems, newPage: async (o = opts) => (await contextOf(o)).page };
}

let portalBuilt: Promise<void> | undefined;

/** Builds web/dist when it is missing or older than its sources (scripts/build-web.ts), once per test process. */
export function buildPortal(): Promise<void> {
  portalBuilt ??= promisify(execFile)(process.execPath, nodeArgs([entry('scripts/build-web.ts')]), { cwd: CHILD_ROOT, maxBuffer: 16 * 1024 * 1024 })
    .then(() => undefined)
    .catch((err: Error & { stderr?: string }) => {
      throw new Error(`building the portal failed: ${err.message}\n${err.stderr ?? ''}`);
    });
  return portalBuilt;
}

export interface PortalServer {
  /** http://127.0.0.1:<port>, serving the portal at `/` and the API at `/api/v1`. */
  url: string;
  /** An admin API key (Bearer) of this process. */
  adminKey: string;
  sp: SwitchplaneProcess;
}

/**
 * A Switchplane process serving the built portal, on a port of its own with a fresh DATA_DIR
 * (embedded database), the demo tenants and demo logins seeded, the operator's password
 * `DEMO.operator.password`.
 * @param opts.env more Switchplane environment
 */
export async function portalServer(t: Test, opts: { env?: Record<string, string> } = {}): Promise<PortalServer> {
  await buildPortal();
  const sp = await startSwitchplane(t, await freePort('tcp'), { DEMO_SEED: 'true', OPERATOR_PASSWORD: DEMO.operator.password, ...opts.env });
  return { url: sp.url, adminKey: sp.adminKey, sp };
}

/**
 * Logs in through the /login form (fields labelled "Email" and "Password", Enter submits) and
 * resolves once the portal left /login and shows its page heading.
 * @throws when the portal stays on /login (e.g. a wrong password) within the page's timeout
 */
export async function login(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Password', { exact: true }).press('Enter');
  await page.waitForURL((u) => u.pathname !== '/login');
  await page.getByRole('heading', { level: 1 }).first().waitFor();
}

/** Resolves once the page shows its `h1` and no "Loading…" state is left. */
export async function settled(page: Page): Promise<void> {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForFunction(() => ![...document.querySelectorAll('[role=status]')].some((e) => e.textContent?.includes('Loading…')), undefined, { timeout: 15_000 });
}

/** Saves a full-page PNG to `test-output/screenshots/<name>.png` (folder created); resolves with its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A json_cdr document FreeSWITCH 1.10.12 posted for a call (the recorded 9999 call, answered, 3 s). */
const JSON_CDR = readFileSync(path.join(SHARED_DIR, 'fixtures/freeswitch/cdr/json_cdr-call-9999.json'), 'utf8');
const RECORDED_UUID = (JSON.parse(JSON_CDR) as { variables: { uuid: string } }).variables.uuid;

/** The recorded call's times moved so that it ended at `endMs` (epoch seconds, microseconds, callflow times). */
function movedTo(doc: { variables: Record<string, string>; callflow?: Array<{ times?: Record<string, string> }> }, endMs: number): void {
  const shiftUs = BigInt(Math.round(endMs * 1000)) - BigInt(doc.variables.end_uepoch!);
  const move = (text: string, unit: bigint) => (text === '0' ? text : String(BigInt(text) + shiftUs / unit));
  for (const [name, value] of Object.entries(doc.variables)) {
    if (/_uepoch$/.test(name) || name === 'Event-Date-Timestamp') doc.variables[name] = move(value, 1n);
    else if (/_epoch$/.test(name)) doc.variables[name] = move(value, 1_000_000n);
  }
  for (const flow of doc.callflow ?? []) {
    for (const [name, value] of Object.entries(flow.times ?? {})) if (name !== 'hold_accum_time') flow.times![name] = move(value, 1n);
  }
}

/**
 * Stores a CDR the way FreeSWITCH reports one through mod_json_cdr (`POST /freeswitch/cdr`): the
 * recorded call (answered, 3 s) as a new leg of customer `tenantId` that ended just now, placed by
 * its extension `leg.extension` (the directory user) with caller number `leg.caller`.
 * @param credentials Switchplane's XMLCURL_USERNAME/PASSWORD when it has them (the real switch's)
 * @returns the CDR's id in the API once it is stored, and its leg uuid (the API's `callId`)
 */
export async function storeCdr(
  sp: SwitchplaneProcess,
  tenantId: string,
  leg: { extension: string; caller: string },
  credentials?: { username: string; password: string },
): Promise<{ id: string; uniqueId: string }> {
  const uniqueId = randomUUID();
  const doc = JSON.parse(JSON_CDR.replaceAll(RECORDED_UUID, uniqueId)) as {
    variables: Record<string, string>;
    callflow?: Array<{ times?: Record<string, string>; caller_profile?: Record<string, string> }>;
  };
  movedTo(doc, Date.now());
  Object.assign(doc.variables, { accountcode: tenantId, user_name: leg.extension, caller_id_number: leg.caller, effective_caller_id_number: leg.caller });
  for (const flow of doc.callflow ?? []) Object.assign(flow.caller_profile ?? {}, { username: leg.extension, caller_id_number: leg.caller, caller_id_name: leg.caller });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credentials) headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  const res = await fetch(`${sp.url}/freeswitch/cdr?uuid=${uniqueId}`, { method: 'POST', headers, body: JSON.stringify(doc) });
  if (res.status !== 200) throw new Error(`json_cdr post answered ${res.status}: ${await res.text()}`);
  const id = await eventually(`CDR ${uniqueId} stored`, async () => {
    const rows = await sp.ok('GET', `/api/v1/customers/${tenantId}/cdrs?limit=100`);
    const row = rows.find((r: { callId: string; id: string; callerNumber: string }) => r.callId === uniqueId);
    if (row && row.callerNumber !== leg.caller) throw new Error(`stored with caller ${row.callerNumber}, not ${leg.caller}`);
    return row?.id as string | undefined;
  }, { timeoutMs: 15_000, intervalMs: 200 });
  return { id, uniqueId };
}
