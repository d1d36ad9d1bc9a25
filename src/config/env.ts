/**
 * Parses an environment against the schema of ./variables.ts: an unset or empty variable takes
 * its default (or stays undefined), a set one is converted from text by its type and checked
 * with TypeBox's `Value.Check` against the schema's bounds.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ConfigError } from './error.js';
import { VARIABLES, type Env } from './variables.js';

export type RawEnv = Record<string, string | undefined>;

const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

/** Text to the schema's type; a text that does not convert is returned as is (and fails the check). */
function convert(schema: TSchema, raw: string): unknown {
  switch (schema[Kind]) {
    case 'Integer':
    case 'Number':
      return Number(raw);
    case 'Boolean':
      return TRUE.test(raw) ? true : FALSE.test(raw) ? false : raw;
    default:
      return raw;
  }
}

/** What a variable of this schema must hold, for the ConfigError message. */
function expectation(schema: TSchema): string {
  switch (schema[Kind]) {
    case 'Integer':
      return `expected an integer from ${schema.minimum} to ${schema.maximum}`;
    case 'Number':
      return `expected a number between ${schema.exclusiveMinimum} and ${schema.exclusiveMaximum}`;
    case 'Boolean':
      return 'expected true or false';
    case 'Union':
      return `expected one of ${(schema.anyOf as Array<{ const: string }>).map((s) => s.const).join(', ')}`;
    default:
      return 'expected a string';
  }
}

/**
 * @returns every variable of VARIABLES, converted, defaults applied
 * @throws ConfigError naming the first variable (in declaration order) whose value does not fit
 */
export function readEnv(env: RawEnv): Env {
  const parsed: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(VARIABLES) as Array<[string, TSchema]>) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      parsed[name] = schema.default;
      continue;
    }
    const value = convert(schema, raw);
    if (!Value.Check(schema, value)) throw new ConfigError(name, `${expectation(schema)}, got "${raw}"`);
    parsed[name] = value;
  }
  return parsed as Env;
}
