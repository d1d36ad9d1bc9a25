/**
 * The configuration schema (src/config/variables.ts) against README.md's "Configuration" table:
 * the same variables, and the same defaults where the table gives them (a cell starting with
 * "unset" means no default); and the schema's defaults and bounds as loadConfig applies them.
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { ConfigError, loadConfig } from '../../src/config.js';
import { VARIABLES } from '../../src/config/variables.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const SCHEMA = VARIABLES as Record<string, TSchema>;

interface Row {
  names: string[];
  /** Per name: the default the table shows, or undefined for "unset". */
  defaults: Array<string | undefined>;
}

/** The rows of the first table under "## Configuration": names and default cells. */
function configurationTable(): Row[] {
  const section = README.split(/^## /m).find((s) => s.startsWith('Configuration\n'));
  if (!section) throw new Error('README.md has no "## Configuration" section');
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    if (!line.startsWith('| `')) continue;
    const [nameCell, defaultCell] = line.split('|').slice(1, 3).map((c) => c.trim());
    const names = [...nameCell!.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const shown = defaultCell!.startsWith('unset') ? [] : [...defaultCell!.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
    if (shown.length !== 0 && shown.length !== names.length) throw new Error(`README row ${names.join(', ')}: ${shown.length} defaults for ${names.length} variables`);
    rows.push({ names, defaults: names.map((_, i) => shown[i]) });
  }
  return rows;
}

/** The default as README.md writes it: the schema's `default`, or `defaultFrom` when derived. */
const schemaDefault = (schema: TSchema): string | undefined =>
  schema.default !== undefined ? String(schema.default) : (schema.defaultFrom as string | undefined);

t.test('README.md lists exactly the schema\'s variables, each once', async (t) => {
  const listed = configurationTable().flatMap((r) => r.names);
  t.same([...listed].sort(), [...new Set(listed)].sort(), 'no variable listed twice');
  const declared = Object.keys(SCHEMA);
  t.same(listed.filter((n) => !declared.includes(n)), [], 'listed in README.md but not declared in src/config/variables.ts');
  t.same(declared.filter((n) => !listed.includes(n)), [], 'declared in src/config/variables.ts but not listed in README.md');
});

t.test('README.md shows the schema\'s defaults', async (t) => {
  for (const row of configurationTable()) {
    row.names.forEach((name, i) => {
      const schema = SCHEMA[name];
      if (!schema) return;
      t.equal(row.defaults[i], schemaDefault(schema), `${name}: README default ${row.defaults[i] ?? 'unset'}`);
    });
  }
});

t.test('every variable is described, and its default passes its own schema', async (t) => {
  const env: Record<string, string> = {};
  for (const [name, schema] of Object.entries(SCHEMA)) {
    t.ok(typeof schema.description === 'string' && schema.description.length > 0, `${name} has a description`);
    if (schema.default !== undefined) env[name] = String(schema.default);
  }
  t.same(loadConfig(env), loadConfig({}), 'the defaults written out load the same configuration as an empty environment');
});

t.test('integer variables refuse a value outside their bounds, naming the variable and the bounds', async (t) => {
  for (const [name, schema] of Object.entries(SCHEMA)) {
    if (schema.type !== 'integer') continue;
    for (const bad of [String(schema.maximum + 1), String(schema.minimum - 1), 'x', '1.5']) {
      const err = t.throws(() => loadConfig({ [name]: bad })) as ConfigError;
      t.ok(err instanceof ConfigError && err.variable === name, `${name}=${bad}`);
      t.equal(err.message, `${name}: expected an integer from ${schema.minimum} to ${schema.maximum}, got "${bad}"`);
    }
    t.doesNotThrow(() => loadConfig({ [name]: String(schema.minimum), SCHEDULER_GRACE_MS: '86400000' }), `${name}=${schema.minimum}`);
  }
});
