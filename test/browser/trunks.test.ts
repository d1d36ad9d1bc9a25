/**
 * The Trunks page in headless Chromium, against a Switchplane process with the demo tenants
 * (DESTINATION_ALLOW=127.0.0.1/32 so a customer may point a trunk at this host): Acme's admin
 * sees the demo trunks with their gateway state, creates a trunk (a port of 70000 is refused at
 * the Port field first), edits it, tests its connection against a SIP peer on 127.0.0.1 that
 * answers 200 OK and against one that stays silent, and deletes it after a confirmation; the API
 * agrees after every step. At 375 px the page does not scroll sideways.
 */
import dgram from 'node:dgram';
import t from 'tap';
import type { Page } from 'playwright-core';
import { DEMO, login, openBrowser, portalServer, screenshot, type BrowserSession, type PortalServer } from '../helpers/browser.js';
import { silentPeer } from '../helpers/silent-peer.js';

t.setTimeout(180_000);
let portal: PortalServer;
let session: BrowserSession;
let page: Page;
let acmeId: string;

/** A UDP SIP peer on 127.0.0.1 answering every request `200 OK` (Via, From, To, Call-ID, CSeq copied); closed at teardown. */
async function answeringPeer(): Promise<{ port: number; received: () => number }> {
  const socket = dgram.createSocket('udp4');
  let count = 0;
  socket.on('message', (msg, from) => {
    count++;
    const lines = msg.toString('utf8').split('\r\n');
    const copy = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name}:`));
    const headers = [...copy('via'), ...copy('from'), ...copy('to').map((l) => `${l};tag=peer`), ...copy('call-id'), ...copy('cseq'), 'Content-Length: 0'];
    socket.send(`SIP/2.0 200 OK\r\n${headers.join('\r\n')}\r\n\r\n`, from.port, from.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => socket.close(() => r())));
  return { port: socket.address().port, received: () => count };
}

/** Acme's trunks as the API lists them. */
const trunks = async (): Promise<any[]> => portal.sp.ok('GET', `/api/v1/customers/${acmeId}/trunks`);

/** The table row of the trunk named `name`. */
const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('cell', { name, exact: true }) });

t.before(async () => {
  portal = await portalServer(t, { env: { DESTINATION_ALLOW: '127.0.0.1/32' } });
  session = await openBrowser(t, { baseURL: portal.url });
  page = session.page;
  acmeId = (await portal.sp.ok('GET', '/api/v1/customers')).find((c: any) => c.slug === 'acme').id;
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
});

t.test('the page lists the demo trunks with their gateway state', async (t) => {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Trunks', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Trunks' }).waitFor();
  await row('acme-main').waitFor();
  t.match(await row('acme-main').innerText(), /127\.0\.0\.1:5070/, 'host and port');
  t.match(await row('acme-main').innerText(), /Not reported yet/i, 'no gateway state before FreeSWITCH reports one');
  t.match(await row('acme-backup').innerText(), /127\.0\.0\.1:5072/);
  await screenshot(page, 'trunks');
});

t.test('a port of 70000 is refused at the Port field; a good trunk is created', async (t) => {
  await page.getByRole('button', { name: 'New trunk' }).click();
  const form = page.getByRole('dialog', { name: 'New trunk' });
  await form.getByLabel('Name', { exact: true }).fill('carrier-two');
  await form.getByLabel('Provider', { exact: true }).fill('Carrier Two');
  await form.getByLabel('Host', { exact: true }).fill('127.0.0.1');
  const port = form.getByLabel('Port', { exact: true });
  await port.fill('70000');
  await form.getByRole('button', { name: 'Create trunk' }).click();
  await t.resolves(form.getByText('port: must be <= 65535').waitFor(), 'the API\'s message under the field');
  t.equal(await port.getAttribute('aria-invalid'), 'true', 'the Port input is marked invalid');
  t.ok(await port.evaluate((el) => el === document.activeElement), 'the focus moved to the Port input');
  t.equal(await port.getAttribute('aria-describedby').then((id) => page.locator(`#${id?.split(' ').find((x) => x.endsWith('-error'))}`).innerText()), 'port: must be <= 65535',
    'the message is the input\'s description for assistive technology');
  await screenshot(page, 'trunks-port-error');
  t.notOk((await trunks()).some((x) => x.name === 'carrier-two'), 'nothing was created');

  await port.fill('5090');
  await form.getByLabel('Username', { exact: true }).fill('two_user');
  await form.getByLabel('Password', { exact: true }).fill('two-secret');
  await form.getByLabel('Register with the carrier').check();
  await form.getByRole('button', { name: 'Create trunk' }).click();
  await form.waitFor({ state: 'hidden' });
  await row('carrier-two').waitFor();
  const created = (await trunks()).find((x) => x.name === 'carrier-two');
  t.match(created, { provider: 'Carrier Two', host: '127.0.0.1', port: 5090, transport: 'udp', username: 'two_user', passwordSet: true, register: true, priority: 1 });
});

t.test('the trunk is edited; a blank password keeps the stored one', async (t) => {
  await row('carrier-two').getByRole('button', { name: 'Edit carrier-two' }).click();
  const form = page.getByRole('dialog', { name: 'Edit trunk carrier-two' });
  t.equal(await form.getByLabel('Host', { exact: true }).inputValue(), '127.0.0.1', 'the form opens with the stored values');
  t.equal(await form.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is never shown');
  await form.getByLabel('Priority', { exact: true }).fill('3');
  await form.getByLabel('Transport', { exact: true }).click();
  await page.getByRole('option', { name: 'TCP', exact: true }).click();
  await form.getByRole('button', { name: 'Save trunk' }).click();
  await form.waitFor({ state: 'hidden' });
  await row('carrier-two').getByText('TCP', { exact: false }).waitFor();
  t.match((await trunks()).find((x) => x.name === 'carrier-two'), { priority: 3, transport: 'tcp', passwordSet: true, username: 'two_user' });
});

t.test('Test connection shows status, latency and reason', async (t) => {
  const answering = await answeringPeer();
  const silent = await silentPeer(t);
  const id = (await trunks()).find((x) => x.name === 'carrier-two').id;
  await portal.sp.ok('PATCH', `/api/v1/customers/${acmeId}/trunks/${id}`, { port: answering.port, transport: 'udp' });
  await page.reload();
  await row('carrier-two').getByRole('button', { name: 'Test connection of carrier-two' }).click();
  const dialog = page.getByRole('dialog', { name: 'Test connection: carrier-two' });
  await dialog.getByText('Reachable', { exact: true }).waitFor();
  const result = dialog.getByRole('table', { name: 'Test result' });
  t.match(await result.innerText(), /SIP status\s+200 OK/, 'the SIP status and phrase');
  t.match(await result.innerText(), /Latency\s+\d+ ms/, 'the round trip in milliseconds');
  t.match(await result.innerText(), new RegExp(`127\\.0\\.0\\.1:${answering.port} \\(UDP\\)`), 'the address tried');
  t.ok(answering.received() >= 1, 'the peer got the OPTIONS');
  await screenshot(page, 'trunks-test-reachable');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await dialog.waitFor({ state: 'hidden' });

  await portal.sp.ok('PATCH', `/api/v1/customers/${acmeId}/trunks/${id}`, { port: silent.port });
  await page.reload();
  await row('carrier-two').getByRole('button', { name: 'Test connection of carrier-two' }).click();
  await dialog.getByText('Not reachable', { exact: true }).waitFor({ timeout: 10_000 });
  t.match(await result.innerText(), /Reason\s+No answer within the time limit/, 'the reason in words');
  t.match(await result.innerText(), /SIP status\s+—/, 'no SIP status');
  t.ok(silent.received() >= 1, 'the silent peer got the OPTIONS');
  await screenshot(page, 'trunks-test-timeout');
  await dialog.getByRole('button', { name: 'Close' }).click();
});

t.test('at 375 px the page does not scroll sideways; the table scrolls in its own box', async (t) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.reload();
  await row('carrier-two').waitFor();
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375), 'no horizontal scroll of the page');
  await screenshot(page, 'trunks-375');
  await page.setViewportSize({ width: 1280, height: 800 });
});

t.test('the trunk is deleted after a confirmation', async (t) => {
  await row('carrier-two').getByRole('button', { name: 'Delete carrier-two' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete trunk carrier-two?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await confirm.waitFor({ state: 'hidden' });
  t.ok((await trunks()).some((x) => x.name === 'carrier-two'), 'Cancel keeps it');
  await row('carrier-two').getByRole('button', { name: 'Delete carrier-two' }).click();
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await confirm.waitFor({ state: 'hidden' });
  await row('carrier-two').waitFor({ state: 'detached' });
  t.notOk((await trunks()).some((x) => x.name === 'carrier-two'), 'the API no longer has it');
});

t.test('the pages reported no errors but the session asked before login (401) and the refused save (400)', async (t) => {
  t.same(session.problems.filter((p) => !/status of 400/.test(p.text) && !(p.url.endsWith('/login') && /status of 401/.test(p.text))), []);
});
