/**
 * On the real FreeSWITCH 1.10.12: no CDR is lost or doubled when Switchplane's event socket
 * connection is cut during calls (mod_json_cdr's posts carry them), or when Switchplane is down
 * for 30 s while calls end (mod_json_cdr's retries, then freeswitch/json-cdr-repost.sh for what
 * it kept on disk).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { listenForHangups, type HangupListener } from '../helpers/hangup-listener.js';
import { assertCleanLog, cdrsOf, createCustomer, createExtension, placeCall, startRealSwitch, until, type Customer, type Extension, type RealSwitch } from '../helpers/real-switch.js';
import { startSipp } from '../helpers/sipp-scenario.js';

t.setTimeout(300_000); // a file on the real switch: start-up, calls, a 30 s outage
const REPOST = fileURLToPath(new URL('../../freeswitch/json-cdr-repost.sh', import.meta.url));
let rs: RealSwitch;
let acme: Customer;
let caller: Extension;
let hangups: HangupListener;

t.before(async () => {
  rs = await startRealSwitch(t, 'cdr-resilience', {}, { eslProxy: true });
  hangups = await listenForHangups(t, rs.ports.esl);
  acme = await createCustomer(rs.sp, 'acme');
  caller = await createExtension(rs.sp, acme, { extensionNumber: '1001' });
  const carrier = await startSipp(t, { scenario: 'carrier-uas.xml' });
  const trunk = await rs.sp.ok('POST', '/api/v1/trunks', { name: 'carrier', host: '127.0.0.1', port: carrier.port }, acme.key);
  await rs.sp.ok('POST', '/api/v1/phone-numbers', { number: '+15550100100', trunkId: trunk.id, route: 'extension', routeTarget: '1001' }, acme.key);
  await until('the gateway loaded', async () => (await rs.fs.cli('sofia status gateway')).includes(trunk.gatewayName));
});

/** Places `count` outbound calls of `holdMs` at once; resolves when they have ended. */
async function calls(count: number, holdMs: number, during: () => Promise<void>): Promise<void> {
  const since = hangups.hangups.length;
  const placed = Array.from({ length: count }, (_, i) => placeCall(t, rs, acme, caller, `+1555020000${i}`, { holdMs }));
  await until(`${count} calls up`, async () => new RegExp(`^${count} total`, 'm').test(await rs.fs.cli('show calls count')));
  await during();
  for (const result of await Promise.all(placed)) if (result.code !== 0) throw new Error(`a call failed:\n${result.messages.slice(-1500)}`);
  await until(`${count * 2} legs hung up`, () => hangups.hangups.length >= since + count * 2);
}

/** Each leg FreeSWITCH reported has exactly one CDR. */
async function oneCdrPerLeg(t: Test, timeoutMs: number) {
  const legs = new Set(hangups.hangups.map((h) => h.uniqueId));
  const cdrs = await until('a CDR for every leg', async () => {
    const all = await cdrsOf(rs.sp, acme);
    return [...legs].every((id) => all.some((c) => c.callId === id)) && all;
  }, timeoutMs);
  t.equal(cdrs.length, legs.size, `${cdrs.length} CDRs for ${legs.size} legs`);
  t.same(new Set(cdrs.map((c) => c.callId)), legs, 'one per Unique-ID');
}

t.test('the event socket connection cut during calls: mod_json_cdr still gives every CDR, once', async (t) => {
  await calls(2, 3000, async () => {
    rs.eslProxy!.cut();
  });
  await oneCdrPerLeg(t, 15_000);
  rs.eslProxy!.restore();
  await until('the event socket back', async () => ((await (await fetch(`${rs.sp.url}/health`)).json()) as any).esl[0].connected);
});

t.test('Switchplane stopped for 30 s while calls end: every CDR arrives once after it restarts', async (t) => {
  rs.fs.expectLog(/mod_json_cdr\.c:\d+ Got error \[0\] posting to web server/, /mod_json_cdr\.c:\d+ Unable to post to web server/);
  let restarted: Promise<void> | undefined;
  await calls(2, 3000, async () => {
    restarted = rs.restartSwitchplane(30_000);
  });
  await restarted;
  // What mod_json_cdr could not post through its retries is in its err-log-dir: post it again.
  const errDir = path.join(rs.fs.dir, 'log', 'json_cdr_failed');
  await until('each leg posted, or kept on disk after mod_json_cdr\'s retries', async () => {
    const kept = existsSync(errDir) ? readdirSync(errDir).map((f) => f.replace(/^a_/, '').replace('.cdr.json', '')) : [];
    const stored = new Set((await cdrsOf(rs.sp, acme)).map((c) => c.callId));
    return hangups.hangups.every((h) => stored.has(h.uniqueId) || kept.includes(h.uniqueId));
  }, 60_000);
  t.ok(readdirSync(errDir).length > 0, `mod_json_cdr kept ${readdirSync(errDir).length} CDRs on disk during the outage`);
  // As the guide says to run it against a Switchplane with XMLCURL_USERNAME/PASSWORD.
  const env = { ...process.env, SWITCHPLANE_CREDENTIALS: `${rs.credentials.username}:${rs.credentials.password}` };
  const { stdout } = await promisify(execFile)('bash', [REPOST, errDir, `${rs.sp.url}/freeswitch/cdr`], { env });
  t.match(stdout, /\d+ posted, 0 left/, stdout.trim());
  await oneCdrPerLeg(t, 15_000);
  const again = await promisify(execFile)('bash', [REPOST, errDir, `${rs.sp.url}/freeswitch/cdr`], { env });
  t.match(again.stdout, /0 posted, 0 left/, 'a second run finds nothing left');
});

assertCleanLog(t, () => rs);
