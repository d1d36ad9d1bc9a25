/**
 * Numbers a request may carry after schema validation: finite ones only. JSON has no Infinity or
 * NaN, but Fastify's ajv coerces types (`coerceTypes: 'array'`), and a numeric string such as
 * `"1e400"` or `"999…9"` (342 digits) becomes Infinity, which then passes `minimum`/`maximum` and
 * reaches the database as an out-of-range value.
 * `rejectNonFiniteNumbers` is a preHandler hook: a 400 `validation_failed` naming the field
 * (a path, as in src/api/storable-text.ts). It runs after src/api/storable-text.ts has bounded
 * the nesting.
 */
import type { FastifyRequest } from 'fastify';
import { invalid } from './errors.js';

/** The path of the first number in `value` that is not finite, or undefined. */
function nonFinite(value: unknown, path: string): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : path;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const found = nonFinite(item, path === '' ? String(key) : `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** preHandler hook of the API: path parameters, the query and the body, as validated. */
export async function rejectNonFiniteNumbers(req: FastifyRequest): Promise<void> {
  for (const part of [req.params, req.query, req.body]) {
    const field = nonFinite(part, '');
    if (field !== undefined) throw invalid(field || 'body', `${field || 'the body'} is not a finite number`);
  }
}
