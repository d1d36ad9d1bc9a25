/**
 * Load generator for `npm run bench:xmlcurl`, run as a separate process so it does not share the
 * server's event loop. Fires mod_xml_curl requests built from a real FreeSWITCH capture at full
 * speed with autocannon and prints one JSON line of results.
 *
 * argv: <url> <directory|dialplan> <seconds> <connections> <tenants> <extensionsPerTenant>
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const [url = '', mode, seconds, connections, tenants, extensions] = process.argv.slice(2);
const fixtures = fileURLToPath(new URL('../../../shared/fixtures/freeswitch/xml_curl/', import.meta.url));
const capture = (name: string) => {
  const text = readFileSync(fixtures + name, 'utf8');
  return new URLSearchParams(text.slice(text.indexOf('\n\n') + 2));
};
const register = capture('directory-register.txt');
const invite = capture('dialplan-invite.txt');
const nTenants = Number(tenants);
const nExtensions = Number(extensions);
const pick = (n: number) => Math.floor(Math.random() * n);

function directoryBody(): string {
  const domain = `t${pick(nTenants)}.bench.switchplane.test`;
  const user = String(1001 + pick(nExtensions));
  for (const k of ['key_value', 'domain', 'sip_auth_realm', 'sip_to_host', 'sip_from_host']) register.set(k, domain);
  for (const k of ['user', 'sip_auth_username', 'sip_to_user', 'sip_from_user']) register.set(k, user);
  return register.toString();
}

function dialplanBody(): string {
  const did = `+1555${String(pick(nTenants)).padStart(7, '0')}`;
  for (const k of ['Caller-Context', 'Hunt-Context']) invite.set(k, 'public');
  for (const k of ['Caller-Destination-Number', 'Hunt-Destination-Number']) invite.set(k, did);
  return invite.toString();
}

const makeBody = mode === 'dialplan' ? dialplanBody : directoryBody;
const result = await autocannon({
  url,
  method: 'POST',
  connections: Number(connections),
  duration: Number(seconds),
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'freeswitch-xml/1.0' },
  requests: [{ setupRequest: (req) => ({ ...req, body: makeBody() }) }],
});
process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    perSecond: result.requests.total / Number(seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  }) + '\n',
);
