/**
 * The Extensions page in headless Chromium, against a Switchplane process with the demo tenants:
 * Acme's admin sees the demo extensions, creates one (a bad voicemail PIN is refused at its field
 * first) and gets its SIP credentials once, in a dialog with copy buttons, matching what the API
 * holds; edits its features (voicemail with PIN, forwarding, recording, caller ID, do not
 * disturb), reads the credentials again with "Show credentials", and deletes it after a
 * confirmation. Acme's agent sees only its own extension ("My extension"), no credentials or edit
 * buttons, and switches its own do not disturb. The API agrees after every step.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { DEMO, login, openBrowser, portalServer, screenshot, type BrowserSession, type PortalServer } from '../helpers/browser.js';

t.setTimeout(180_000);
let portal: PortalServer;
let session: BrowserSession;
let page: Page;
let acmeId: string;

/** Acme's extensions as the API lists them. */
const extensions = async (): Promise<any[]> => portal.sp.ok('GET', `/api/v1/customers/${acmeId}/extensions`);
const stored = async (number: string) => (await extensions()).find((e) => e.extensionNumber === number);

/** The table row of extension `number`, on `p`. */
const row = (number: string, p: Page = page) => p.getByRole('row').filter({ has: p.getByRole('cell', { name: number, exact: true }) });

t.before(async () => {
  portal = await portalServer(t);
  session = await openBrowser(t, { baseURL: portal.url });
  page = session.page;
  acmeId = (await portal.sp.ok('GET', '/api/v1/customers')).find((c: any) => c.slug === 'acme').id;
  await login(page, DEMO.acmeAdmin.email, DEMO.acmeAdmin.password);
});

t.test('the page lists the demo extensions with their registration state', async (t) => {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Extensions', exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Extensions' }).waitFor();
  await row('1001').waitFor();
  t.match(await row('1001').innerText(), /Mario Rossi/);
  t.match(await row('1001').innerText(), /Not registered/i, 'no phone registered in this test');
  t.match(await row('1003').innerText(), /suspended/i);
  await screenshot(page, 'extensions');
});

t.test('a new extension\'s credentials are shown once, with copy buttons', async (t) => {
  await page.getByRole('button', { name: 'New extension' }).click();
  const form = page.getByRole('dialog', { name: 'New extension' });
  await form.getByLabel('Extension number', { exact: true }).fill('1050');
  await form.getByLabel('Display name', { exact: true }).fill('Luca Verdi');
  await form.getByLabel('Voicemail', { exact: true }).check();
  const pin = form.getByLabel('Voicemail PIN', { exact: true });
  await pin.fill('12');
  await form.getByRole('button', { name: 'Create extension' }).click();
  await form.getByText(/^voicemailPin: must match pattern/).waitFor();
  t.equal(await pin.getAttribute('aria-invalid'), 'true', 'the PIN is marked invalid');
  t.ok(await pin.evaluate((el) => el === document.activeElement), 'the focus moved to the PIN');
  t.notOk(await stored('1050'), 'nothing was created');
  await pin.fill('4321');
  await form.getByRole('button', { name: 'Create extension' }).click();

  const shown = page.getByRole('dialog', { name: 'Extension 1050 created: its SIP credentials' });
  await shown.waitFor();
  const created = await stored('1050');
  t.match(created, { displayName: 'Luca Verdi', voicemailEnabled: true, voicemailPinSet: true, status: 'active' });
  const creds = await portal.sp.ok('GET', `/api/v1/customers/${acmeId}/extensions/${created.id}/credentials`);
  const text = await shown.innerText();
  t.match(text, creds.password, 'the generated SIP password');
  t.match(text, creds.username, 'the username');
  t.match(text, creds.domain, 'the domain');
  for (const label of ['Username', 'Password', 'Domain', 'SIP URI', 'Server']) {
    t.ok(await shown.getByRole('button', { name: `Copy ${label}`, exact: true }).isVisible(), `a copy button for ${label}`);
  }
  await screenshot(page, 'extensions-credentials-once');
  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'hidden' });
  await row('1050').waitFor();
  t.equal(await page.getByText(creds.password).count(), 0, 'the password is gone from the page');
});

t.test('features are edited: forwarding, recording, caller ID, do not disturb, status', async (t) => {
  await row('1050').getByRole('button', { name: 'Edit 1050' }).click();
  const form = page.getByRole('dialog', { name: 'Edit extension 1050' });
  t.equal(await form.getByLabel('Voicemail PIN', { exact: true }).inputValue(), '', 'the PIN is never shown');
  await form.getByLabel('Caller ID number', { exact: true }).fill('+390510510599');
  await form.getByLabel('Record calls', { exact: true }).check();
  await form.getByRole('switch', { name: /^Do not disturb/ }).check();
  await form.getByLabel('Call forwarding', { exact: true }).check();
  await form.getByLabel('Forward to', { exact: true }).fill('+393331234567');
  await form.getByRole('button', { name: 'Save extension' }).click();
  await form.waitFor({ state: 'hidden' });
  await row('1050').getByText('recording').waitFor();
  t.match(await stored('1050'), {
    callerIdNumber: '+390510510599', callRecording: true, doNotDisturb: true, forwardingEnabled: true, forwardingNumber: '+393331234567',
    voicemailEnabled: true, voicemailPinSet: true,
  }, 'a blank PIN kept the stored one');
  const dnd = row('1050').getByRole('switch', { name: 'Do not disturb for 1050' });
  t.ok(await dnd.isChecked(), 'the list shows do not disturb on');
  await dnd.focus();
  await page.keyboard.press('Space');
  await page.getByText('Do not disturb off for 1050').waitFor();
  t.equal((await stored('1050')).doNotDisturb, false, 'the switch in the list, with the keyboard, turned it off');
});

t.test('Show credentials reads them again; Delete asks first', async (t) => {
  await row('1050').getByRole('button', { name: 'Show credentials of 1050' }).click();
  const shown = page.getByRole('dialog', { name: 'SIP credentials of extension 1050' });
  await shown.waitFor();
  const creds = await portal.sp.ok('GET', `/api/v1/customers/${acmeId}/extensions/${(await stored('1050')).id}/credentials`);
  t.match(await shown.innerText(), creds.password);
  await shown.getByRole('button', { name: 'Done' }).click();
  await shown.waitFor({ state: 'hidden' });

  await row('1050').getByRole('button', { name: 'Delete 1050' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete extension 1050?' });
  await confirm.getByRole('button', { name: 'Delete' }).click();
  await confirm.waitFor({ state: 'hidden' });
  await row('1050').waitFor({ state: 'detached' });
  t.notOk(await stored('1050'), 'the API no longer has it');
});

t.test('at 375 px the page does not scroll sideways', async (t) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.reload();
  await row('1001').waitFor();
  t.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 375));
  await screenshot(page, 'extensions-375');
  await page.setViewportSize({ width: 1280, height: 800 });
});

t.test('the agent sees only its own extension and switches its do not disturb', async (t) => {
  const agent = await session.newPage({ baseURL: portal.url });
  await login(agent, DEMO.acmeAgent.email, DEMO.acmeAgent.password);
  await agent.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'My extension', exact: true }).click();
  await agent.getByRole('heading', { level: 1, name: 'My extension' }).waitFor();
  await row('1001', agent).waitFor();
  t.equal(await agent.getByRole('row').count(), 2, 'a header and its own extension only');
  t.equal(await agent.getByRole('button', { name: /^(Edit|Delete|Show credentials)/ }).count(), 0, 'no edit, delete or credentials buttons');
  t.equal(await agent.getByRole('button', { name: 'New extension' }).count(), 0, 'no New extension');
  const dnd = row('1001', agent).getByRole('switch', { name: 'Do not disturb for 1001' });
  t.notOk(await dnd.isChecked());
  await dnd.focus();
  await agent.keyboard.press('Space');
  await agent.getByText('Do not disturb on for 1001').waitFor();
  t.equal((await stored('1001')).doNotDisturb, true, 'the API has it on');
  await screenshot(agent, 'extensions-agent');
  await dnd.focus();
  await agent.keyboard.press('Space');
  await agent.getByText('Do not disturb off for 1001').waitFor();
  t.equal((await stored('1001')).doNotDisturb, false);
});

t.test('the pages reported no errors but the session asked before login (401) and the refused save (400)', async (t) => {
  t.same(session.problems.filter((p) => !/status of 400/.test(p.text) && !(p.url.endsWith('/login') && /status of 401/.test(p.text))), []);
});
