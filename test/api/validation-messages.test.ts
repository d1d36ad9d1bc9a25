/**
 * What a refused value's answer says when the schema allows null or a checked string (an `anyOf`):
 * the string's own rule ("must match pattern", "must match format"), never the null branch's
 * "must be null" nor anyOf's summary, so a form can show a useful message at the field.
 */
import t from 'tap';
import { demoApp } from '../helpers/app.js';
import { call, demoKeys } from '../helpers/api.js';
import { backends } from '../helpers/backends.js';

for (const backend of backends) {
  t.test(backend.name, async (t) => {
    const ctx = await demoApp(backend);
    t.teardown(ctx.close);
    const { app } = ctx;
    const keys = await demoKeys(ctx.store);
    const refused: Array<[string, string, unknown, string, RegExp]> = [
      ['POST', '/api/v1/extensions', { voicemailPin: '12' }, 'voicemailPin', /^voicemailPin: must match pattern/],
      ['POST', '/api/v1/extensions', { email: 'not-an-email' }, 'email', /^email: must match format "email"/],
      ['POST', '/api/v1/trunks', { name: 'x', host: 'h.example.com', pingSeconds: 1 }, 'pingSeconds', /^pingSeconds: must be >= 5/],
      ['POST', '/api/v1/trunks', { name: 'x', host: 'h.example.com', port: 70000 }, 'port', /^port: must be <= 65535/],
    ];
    for (const [method, url, body, field, message] of refused) {
      const res = await call(app, keys.acme, method as 'POST', url, body);
      t.equal(res.status, 400, `${url} ${JSON.stringify(body)}`);
      t.equal(res.body.error.field, field);
      t.match(res.body.error.message, message);
      t.notMatch(res.body.error.message, /must be null|anyOf/);
    }
  });
}
