import t from 'tap';
import { Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { generateApiKey } from '../../src/domain/api-keys.js';
import { scrubText, serializeError } from '../../src/log-redaction.js';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';

const TENANT = '33333333-3333-3333-3333-333333333333';
const SIP_PASSWORD = 'plaintext-sip-password-77';

/** A logger option writing pino's JSON lines into `lines`. */
function capture(lines: Array<Record<string, any>>) {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { level: 'info', stream };
}

for (const backend of backends) {
  t.test(`${backend.name}: database errors logged by the app carry no statement parameters and no secrets`, async (t) => {
    const lines: Array<Record<string, any>> = [];
    const ta = await demoApp(backend, {}, capture(lines));
    t.teardown(() => ta.close());
    const sealed = ta.secrets.seal(SIP_PASSWORD);
    await ta.store.withTenant(TENANT, (trx) => trx.insertInto('tenants').values({ id: TENANT, name: 'Logs', slug: 'logs', sip_domain: 'logs.example' }).execute());

    // A check violation whose statement carries a sealed password (and whose row PostgreSQL may quote).
    const checkViolation = await ta.store
      .withTenant(TENANT, (trx) => trx.insertInto('extensions').values({ tenant_id: TENANT, extension: 'x', sip_username: 'logs', password_enc: sealed }).execute())
      .then(() => ({}) as Error & Record<string, unknown>, (e: unknown) => e as Error & Record<string, unknown>);
    t.equal(checkViolation.code, '23514');
    // A unique violation on an API key hash: PostgreSQL's detail quotes the hash.
    const { key, prefix, hash: keyHash } = generateApiKey();
    const apiKey = { tenant_id: null, name: 'dup', key_prefix: prefix, key_hash: keyHash, scopes: ['admin'] };
    await ta.store.withOperator((trx) => trx.insertInto('api_keys').values(apiKey).execute());
    const uniqueViolation = await ta.store
      .withOperator((trx) => trx.insertInto('api_keys').values(apiKey).execute())
      .then(() => ({}) as Error & Record<string, unknown>, (e: unknown) => e as Error & Record<string, unknown>);
    t.equal(uniqueViolation.code, '23505');
    const raw = JSON.stringify([checkViolation, uniqueViolation, checkViolation.detail, uniqueViolation.detail]);
    // PGlite's errors carry the statement's parameters; PostgreSQL leaves the row out of `detail` on
    // tables with row-level security, so there only the logged context carries secrets.
    if (backend.name === 'pglite') t.ok(raw.includes(sealed) && raw.includes(keyHash), 'the errors as thrown carry the secrets (so the test can fail)');

    // As main.ts's reporters (CDR writer, ESL service, reloader, scheduler) and the API's error handler log.
    ta.app.log.error({ err: checkViolation, batch: 1 }, 'cdr writer failed');
    ta.app.log.child({ reqId: 'req-1' }).error({ err: uniqueViolation }, 'API request failed');
    ta.app.log.error({ err: new Error('write failed', { cause: checkViolation }), record: { password_enc: sealed, sip_password: SIP_PASSWORD, voicemail_pin: '4321' } }, 'extension write failed');
    ta.app.log.warn({ headers: { authorization: `Bearer ${key}` }, note: `key ${key} hash ${keyHash}` }, 'request refused');

    t.equal(lines.length, 4);
    const text = JSON.stringify(lines);
    const secrets = { 'sealed password': sealed, 'SIP password': SIP_PASSWORD, 'API key hash': keyHash, 'API key': key, 'voicemail PIN': '4321' };
    for (const [what, secret] of Object.entries(secrets)) t.notOk(text.includes(secret), `no ${what} in the log`);
    for (const line of lines.slice(0, 3)) {
      const err = line.err.cause ?? line.err;
      for (const field of ['query', 'params', 'parameters', 'sql', 'detail']) t.notOk(field in err, `${field} dropped`);
      t.match(err, { code: /^23/, message: /violates/, stack: /violates/ }, 'the code, message and stack stay');
    }
    t.equal(lines[0]!.err.constraint, 'extensions_extension_check');
    t.equal(lines[0]!.batch, 1);
    t.equal(lines[2]!.record.password_enc, '[redacted]');
    t.equal(lines[2]!.record.sip_password, '[redacted]');
    t.equal(lines[3]!.headers.authorization, '[redacted]');
  });
}

t.test('secret values are scrubbed inside any text; ordinary text and errors stay', async (t) => {
  const hex = createHash('sha256').update('x').digest('hex');
  t.equal(scrubText(`sealed v1.${'A'.repeat(16)}.${'b'.repeat(22)}.c-d_e and ${hex}`), 'sealed [sealed] and [redacted]');
  t.equal(scrubText('extension 1001 of tenant acme'), 'extension 1001 of tenant acme');
  const err = Object.assign(new TypeError('boom'), { code: 'E1', password: 'p', nested: { secret: 's', ok: 1 } });
  t.match(serializeError(err), { type: 'TypeError', message: 'boom', code: 'E1', password: '[redacted]', nested: { secret: '[redacted]', ok: 1 } });
  t.same(serializeError({ query: 'select', params: ['x'], code: '57P01' }), { code: '57P01' }, 'an error already serialized is filtered too');
});
