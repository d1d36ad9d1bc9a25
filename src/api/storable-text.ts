/**
 * Text every API request must be made of: no character PostgreSQL or XML cannot hold, in any
 * string or property name of the body, the query or the path parameters.
 * - U+0000: PostgreSQL `text` refuses it (SQLSTATE 22021), `jsonb` too (22P05);
 * - the C0 controls other than tab, LF and CR, lone surrogates, U+FFFE and U+FFFF: not XML 1.0
 *   characters (XML 1.0 §2.2, production [2] Char), and stored values end up in the XML that
 *   FreeSWITCH reads (directory, dialplan, sofia.conf). A lone surrogate also has no UTF-8 form.
 * Nesting is bounded too (MAX_DEPTH): no request body the API knows is deeper than a few levels.
 *
 * `rejectUnstorableText` is a preValidation hook: it runs once per request, before schema
 * validation and before any handler, and answers 400 `validation_failed` naming the field as a
 * path (`displayName`, `tags.0`, `businessHours.monday.start`; a path parameter by its name).
 */
import type { FastifyRequest } from 'fastify';
import { EXCERPT_CHARS } from '../domain/excerpt.js';
import { invalid, type ApiError } from './errors.js';

/** Deepest nesting of objects and arrays a request may have. */
export const MAX_DEPTH = 32;

/** A character no stored text may hold (see the module comment); matched per UTF-16 code unit. */
const UNSTORABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

const codePoint = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** `U+0000 (NUL)`, `a lone surrogate U+D83D`, `U+FFFE`. */
function describe(c: string): string {
  if (c === '\u0000') return 'U+0000 (NUL)';
  if (/[\ud800-\udfff]/.test(c)) return `a lone surrogate ${codePoint(c)}`;
  return codePoint(c);
}

/** A property name as a path segment: at most EXCERPT_CHARS characters, what it must not hold escaped. */
function segment(key: string): string {
  if (key.length <= EXCERPT_CHARS && !UNSTORABLE.test(key)) return key;
  return JSON.stringify(key.slice(0, EXCERPT_CHARS)).slice(1, -1) + (key.length > EXCERPT_CHARS ? '…' : '');
}

function join(path: string, key: string | number): string {
  const seg = typeof key === 'number' ? String(key) : segment(key);
  return path === '' ? seg : `${path}.${seg}`;
}

/**
 * A place in `value` holding a character no stored text may (a string or a property name), or
 * nested deeper than MAX_DEPTH, as a 400 naming it by its path in `value`; undefined when there
 * is none.
 */
export function findUnstorable(value: unknown): ApiError | undefined {
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value: v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const bad = UNSTORABLE.exec(v);
      if (bad) return invalid(path || 'body', `${path || 'the body'} holds ${describe(bad[0])} at character ${bad.index}, which PostgreSQL and XML cannot store`);
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= MAX_DEPTH) return invalid(path || 'body', `${path || 'the body'} is nested more than ${MAX_DEPTH} levels deep`);
    const entries: Array<[string | number, unknown]> = Array.isArray(v) ? v.map((item, i) => [i, item]) : Object.entries(v);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i]!;
      if (typeof key === 'string') {
        const bad = UNSTORABLE.exec(key);
        if (bad) return invalid(join(path, key), `a field name in ${path || 'the body'} holds ${describe(bad[0])}, which PostgreSQL and XML cannot store`);
      }
      stack.push({ value: item, path: join(path, key), depth: depth + 1 });
    }
  }
  return undefined;
}

/** preValidation hook of the API: path parameters, then the query, then the body. */
export async function rejectUnstorableText(req: FastifyRequest): Promise<void> {
  for (const part of [req.params, req.query]) {
    if (part && typeof part === 'object') {
      const err = findUnstorable(part);
      if (err) throw err;
    }
  }
  const err = findUnstorable(req.body);
  if (err) throw err;
}
