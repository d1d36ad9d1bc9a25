import t from 'tap';
import { randomUUID } from 'node:crypto';
import { backends } from '../helpers/backends.js';

// SIP domains, SIP usernames and trunk hosts reach FreeSWITCH unquoted (dial strings, contexts,
// gateway proxies), where `$`, `{`, `}`, `:` or spaces would be expanded or split.
for (const backend of backends) {
  t.test(`identifiers FreeSWITCH reads unquoted are checked by the database on ${backend.name}`, async (t) => {
    const store = await backend.open();
    t.teardown(() => store.close());
    const id = randomUUID();
    await store.withTenant(id, (db) => db.insertInto('tenants').values({ id, name: 'Ok', slug: 'ok', sip_domain: 'pbx-1.ok.example' }).execute());

    for (const sip_domain of ['Upper.example', 'nodot', 'a$${x}.example', 'a..example', '-a.example', 'a b.example']) {
      const other = randomUUID();
      await t.rejects(
        store.withTenant(other, (db) => db.insertInto('tenants').values({ id: other, name: 'Bad', slug: `bad-${other.slice(0, 8)}`, sip_domain }).execute()),
        /check constraint/,
        `domain ${sip_domain}`,
      );
    }
    for (const sip_username of ['a}b', 'a b', '${system(id)}', 'a:b', '', 'x'.repeat(65)]) {
      await t.rejects(
        store.withTenant(id, (db) => db.insertInto('extensions').values({ tenant_id: id, extension: '2001', sip_username, password_enc: 'x' }).execute()),
        /check constraint/,
        `username ${JSON.stringify(sip_username)}`,
      );
    }
    for (const host of ['h$${x}', 'sip host', 'h{1}', '']) {
      await t.rejects(
        store.withTenant(id, (db) => db.insertInto('trunks').values({ tenant_id: id, name: `t-${host.length}`, host }).execute()),
        /check constraint/,
        `host ${JSON.stringify(host)}`,
      );
    }
    await store.withTenant(id, async (db) => {
      await db.insertInto('extensions').values({ tenant_id: id, extension: '2001', sip_username: 'mario.rossi_2-b', password_enc: 'x' }).execute();
      await db.insertInto('trunks').values([
        { tenant_id: id, name: 'by-name', host: 'sip.carrier-1.example' },
        { tenant_id: id, name: 'by-v4', host: '192.0.2.10' },
        { tenant_id: id, name: 'by-v6', host: '[2001:db8::1]' },
      ]).execute();
    });
    t.pass('valid identifiers are accepted');
  });
}
