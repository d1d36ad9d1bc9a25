import t from 'tap';
import { randomBytes } from 'node:crypto';
import { isWithinBusinessHours } from '../../src/domain/business-hours.js';
import { isCountryCode, nationalToE164, toE164 } from '../../src/domain/numbers.js';
import { SecretBox } from '../../src/domain/secrets.js';
import { a1Hash } from '../../src/domain/sip-digest.js';
import { loadConfig } from '../../src/config.js';

t.test('passwords at rest: AES-256-GCM round trip, tamper and wrong key detected', async (t) => {
  const box = new SecretBox(randomBytes(32));
  const sealed = box.seal('demo-1001-secret');
  t.notMatch(sealed, 'demo-1001-secret');
  t.not(box.seal('demo-1001-secret'), sealed, 'random IV');
  t.equal(box.open(sealed), 'demo-1001-secret');
  const parts = sealed.split('.');
  parts[3] = Buffer.from('Demo-1001-secret').toString('base64url');
  t.throws(() => box.open(parts.join('.')));
  t.throws(() => new SecretBox(randomBytes(32)).open(sealed));
  t.throws(() => box.open('garbage'), /malformed/);
});

t.test('a1-hash is md5(user:realm:password)', async (t) => {
  // RFC 2617 section 3.5 example: Mufasa / testrealm@host.com / Circle Of Life
  t.equal(a1Hash('Mufasa', 'testrealm@host.com', 'Circle Of Life'), '939e7578ed9e3c518a452acee763bce9');
});

t.test('E.164 normalisation', async (t) => {
  t.equal(toE164('+390510510510'), '+390510510510');
  t.equal(toE164('390510510510'), '+390510510510');
  t.equal(toE164('00390510510510'), '+390510510510');
  t.equal(toE164('+1 (555) 123-4567'), '+15551234567');
  t.equal(toE164('1001'), null);
  t.equal(toE164('+0123456789'), null);
  t.equal(toE164('+1234567890123456'), null, 'more than 15 digits');
  t.equal(toE164('abc'), null);
  t.equal(toE164('0510510510'), null, 'a national number without a country is no number');
});

t.test('national numbers read in the customer\'s country (libphonenumber-js)', async (t) => {
  t.equal(toE164('0510510510', 'IT'), '+390510510510', 'the W3 Suite guide\'s DID, a Bologna landline');
  t.equal(toE164('051 051 0512', 'IT'), '+390510510512');
  t.equal(toE164('329 762 6144', 'IT'), '+393297626144', 'a mobile');
  t.equal(toE164('00390510510510', 'IT'), '+390510510510', 'the international prefix');
  t.equal(toE164('011 39 051 0510510', 'US'), '+390510510510', 'the US international prefix');
  t.equal(toE164('(415) 555-0100', 'US'), '+14155550100');
  t.equal(toE164('+390510510510', 'US'), '+390510510510', 'E.164 whatever the country');
  t.equal(toE164('0014155550100', 'US'), '+14155550100', '00 as before where it is not the prefix');
  t.equal(toE164('390510510510', 'US'), '+390510510510', 'digits invalid in the country: bare international as before');
  t.equal(toE164('0510', 'IT'), null, 'too short in IT');
  t.equal(toE164('1001', 'IT'), null, 'an extension number is no number');
  t.equal(nationalToE164('14155550100', 'IT'), null, 'only a national reading');
  t.ok(isCountryCode('IT') && isCountryCode('US') && isCountryCode('GB'));
  t.notOk(isCountryCode('UK') || isCountryCode('it') || isCountryCode('XX') || isCountryCode('ITA'));
});

t.test('business hours', async (t) => {
  const hours = { monday: { start: '09:00', end: '18:00' }, tuesday: { start: '22:00', end: '06:00' }, wednesday: null, thursday: { start: 'x', end: '18:00' } };
  const at = (iso: string) => new Date(iso);
  t.ok(isWithinBusinessHours(null, 'Europe/Rome', at('2026-11-22T03:00:00Z')), 'no policy: always open');
  t.ok(isWithinBusinessHours(hours, 'America/New_York', at('2026-11-23T14:00:00Z')), 'Monday 09:00 New York');
  t.notOk(isWithinBusinessHours(hours, 'America/New_York', at('2026-11-23T13:59:00Z')), 'Monday 08:59 New York');
  t.ok(isWithinBusinessHours(hours, 'UTC', at('2026-11-24T23:00:00Z')), 'overnight range, late part');
  t.ok(isWithinBusinessHours(hours, 'UTC', at('2026-11-24T05:59:00Z')), 'overnight range, early part');
  t.notOk(isWithinBusinessHours(hours, 'UTC', at('2026-11-24T06:00:00Z')));
  t.notOk(isWithinBusinessHours(hours, 'UTC', at('2026-11-25T10:00:00Z')), 'null day is closed');
  t.notOk(isWithinBusinessHours(hours, 'UTC', at('2026-11-26T10:00:00Z')), 'malformed day is closed');
  t.notOk(isWithinBusinessHours(hours, 'UTC', at('2026-11-27T10:00:00Z')), 'absent day is closed');
  t.throws(() => isWithinBusinessHours(hours, 'Mars/Olympus', at('2026-11-23T10:00:00Z')), RangeError);
});

t.test('configuration errors name the variable', async (t) => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
  t.throws(() => loadConfig({ SECRETS_KEY: 'short' }), /SECRETS_KEY/);
  t.throws(() => loadConfig({ XMLCURL_USERNAME: 'fs' }), /XMLCURL_PASSWORD/);
  const c = loadConfig({});
  t.equal(c.port, 8080);
  t.equal(c.host, '0.0.0.0');
  t.equal(c.databaseUrl, undefined);
  t.match(c.dataDir, /data$/);
  t.equal(c.xmlcurl.budgetMs, 1000);
});

t.test('AI agent settings: defaults, and errors that name the variable', async (t) => {
  const ai = loadConfig({ PORT: '9090' }).ai;
  t.match(ai, { apiKey: undefined, baseUrl: 'https://api.openai.com/v1', model: 'gpt-realtime', audioFormat: 'pcmu', forkModule: 'audio_stream', mediaUrl: 'ws://127.0.0.1:9090', analysisModel: 'gpt-4o-mini' });
  t.equal(loadConfig({ AI_ANALYSIS: 'false' }).ai.analysisModel, undefined);
  t.equal(loadConfig({ MEDIA_WS_URL: 'wss://sp.example.com/' }).ai.mediaUrl, 'wss://sp.example.com', 'a trailing slash is dropped');
  t.throws(() => loadConfig({ AI_AUDIO_FORMAT: 'g711' }), /AI_AUDIO_FORMAT/);
  t.throws(() => loadConfig({ MEDIA_FORK_MODULE: 'audio_cast' }), /MEDIA_FORK_MODULE/);
  t.throws(() => loadConfig({ MEDIA_WS_URL: 'http://sp.example.com' }), /MEDIA_WS_URL/);
  t.throws(() => loadConfig({ OPENAI_BASE_URL: 'not a url' }), /OPENAI_BASE_URL/);
  t.throws(() => loadConfig({ AI_VAD_THRESHOLD: '1.5' }), /AI_VAD_THRESHOLD/);
  t.throws(() => loadConfig({ AI_SESSION_LIMIT_SECONDS: '7200' }), /AI_SESSION_LIMIT_SECONDS/);
});
