/**
 * acl.conf (src/xmlcurl/acl.ts): the `trunks` list the external profile applies to inbound calls,
 * built from every active trunk's address, host names resolved; and sofia.conf naming it.
 */
import t from 'tap';
import { renderAcl, trunkAddresses, type Unresolved } from '../../src/xmlcurl/acl.js';
import { backends } from '../helpers/backends.js';
import { demoApp, postLookup } from '../helpers/app.js';
import { fixtureBody, parseXml } from '../helpers/fixtures.js';
import { sofiaProfiles } from '../helpers/xml.js';

/** The `trunks` list of an acl.conf answer: its default and its nodes as `type cidr`. */
function trunkList(xml: string): { default: string; nodes: string[] } {
  const lists = parseXml(xml).document.section.configuration['network-lists'].list;
  const list = [lists].flat().find((l: any) => l['@name'] === 'trunks');
  return { default: list['@default'], nodes: [list.node ?? []].flat().map((n: any) => `${n['@type']} ${n['@cidr']}`) };
}

t.test('trunk addresses: literal addresses kept, host names resolved, an unresolvable host left out and reported', async (t) => {
  const dns: Record<string, string[]> = { 'sip.carrier.example': ['198.51.100.10', '2001:db8::10'], 'edge.carrier.example': ['198.51.100.10'] };
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    const found = dns[host];
    if (!found) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
    return found;
  };
  const unresolved: Unresolved[] = [];
  const addresses = await trunkAddresses(
    [
      { id: 't1', host: '203.0.113.5' },
      { id: 't2', host: 'sip.carrier.example' },
      { id: 't3', host: 'edge.carrier.example' },
      { id: 't4', host: 'gone.carrier.example' },
      { id: 't5', host: '203.0.113.5' },
      { id: 't6', host: '::ffff:192.0.2.1' },
    ],
    resolve,
    (u) => unresolved.push(u),
  );
  t.same(addresses, ['192.0.2.1', '198.51.100.10', '203.0.113.5', '2001:db8::10'], 'distinct, IPv4 first, a mapped address as IPv4');
  t.same(asked.sort(), ['edge.carrier.example', 'gone.carrier.example', 'sip.carrier.example'], 'addresses are not resolved');
  t.same(unresolved, [{ host: 'gone.carrier.example', trunkId: 't4', error: 'getaddrinfo ENOTFOUND gone.carrier.example' }]);
});

t.test('acl.conf: list trunks, default deny, one allow node per address', async (t) => {
  t.same(trunkList(renderAcl(['198.51.100.10', '2001:db8::10'])), { default: 'deny', nodes: ['allow 198.51.100.10/32', 'allow 2001:db8::10/128'] });
  t.same(trunkList(renderAcl([])), { default: 'deny', nodes: [] }, 'no trunk: nothing admitted');
  t.match(renderAcl([]), /^<\?xml[^\n]*\?>\n<document/, 'the declaration on its own line');
});

for (const backend of backends) {
  t.test(`acl.conf and sofia.conf through xml_curl on ${backend.name}`, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const acl = async () => trunkList(await postLookup(t, ctx.app, fixtureBody('configuration-acl.conf.txt')));
    t.same(await acl(), { default: 'deny', nodes: ['allow 127.0.0.1/32'] }, 'the demo trunks all point at 127.0.0.1');

    const acme = await ctx.store.withLookup((db) => db.selectFrom('tenants').select('id').where('slug', '=', 'acme').executeTakeFirstOrThrow());
    await ctx.store.withTenant(acme.id, (db) => db.insertInto('trunks').values({ tenant_id: acme.id, name: 'acme-new', host: '192.0.2.10', priority: 5 }).execute());
    t.same((await acl()).nodes, ['allow 127.0.0.1/32', 'allow 192.0.2.10/32'], 'a new trunk is in the next answer');
    await ctx.store.withTenant(acme.id, (db) => db.updateTable('trunks').set({ status: 'inactive' }).where('name', '=', 'acme-new').execute());
    t.same((await acl()).nodes, ['allow 127.0.0.1/32'], 'an inactive trunk is not');

    const external = sofiaProfiles(await postLookup(t, ctx.app, fixtureBody('configuration-sofia.conf.txt'))).find((p) => p.name === 'external')!;
    t.equal(external.settings['apply-inbound-acl'], 'trunks', 'the external profile applies the list');
    t.equal(external.settings['auth-calls'], 'false', 'so a refused address gets 403 (no digest fallback)');
  });
}
