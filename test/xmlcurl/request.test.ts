import t from 'tap';
import { FormBody, formFields, parseLookup } from '../../src/xmlcurl/request.js';
import { fixtureBody, requestFixtures } from '../helpers/fixtures.js';

t.test('a FormBody reads each field of every real FreeSWITCH request as URLSearchParams does', async (t) => {
  const names = requestFixtures();
  t.ok(names.length >= 20);
  for (const fixture of names) {
    const raw = fixtureBody(fixture);
    const full = new URLSearchParams(raw);
    const lazy = new FormBody(raw);
    for (const name of new Set(full.keys())) t.equal(lazy.field(name), full.get(name), `${fixture}: ${name}`);
  }
});

t.test('a FormBody takes the first of repeated fields, whole names only, and decodes like a form', async (t) => {
  const body = new FormBody('section=directory&sip_user=x&user=1001&section=dialplan&name=a+b%20c&bad=%E0%A4%A&empty=&last=%2B39');
  t.equal(body.field('section'), 'directory');
  t.equal(body.field('user'), '1001', 'not the tail of sip_user');
  t.equal(body.field('ser'), undefined);
  t.equal(body.field('name'), 'a b c');
  t.equal(body.field('bad'), '%E0%A4%A', 'a broken escape is kept as sent');
  t.equal(body.field('empty'), '');
  t.equal(body.field('last'), '+39');
  t.equal(body.field('missing'), undefined);
  t.same(parseLookup(formFields(body)), { section: 'directory', domain: '', user: '1001', action: null, purpose: null, realm: null });
});
