/**
 * web/src/api/schema.d.ts, the portal's typed API client's types, is what `npm run api:types`
 * makes of the app's OpenAPI document now: a route or schema changed without regenerating fails here.
 */
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { SCHEMA_TYPES_FILE, schemaTypes } from '../../scripts/openapi-types.js';

t.test('the committed web/src/api/schema.d.ts matches the OpenAPI document', async (t) => {
  const [committed, current] = await Promise.all([readFile(SCHEMA_TYPES_FILE, 'utf8'), schemaTypes()]);
  t.ok(current.includes('"/api/v1/trunks"'), 'the generated types hold the API routes');
  if (committed !== current) {
    const a = committed.split('\n');
    const b = current.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    t.fail(`web/src/api/schema.d.ts is out of date (first difference at line ${line + 1}): run \`npm run api:types\` and commit the file`, {
      committed: a[line],
      current: b[line],
    });
  } else {
    t.pass('schema.d.ts is current');
  }
});
