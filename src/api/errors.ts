/**
 * REST errors: every failure answers `{ "error": { "code", "message", "field"? } }` with a 4xx
 * status naming the offending field where there is one, or 500 without internals. The codes and
 * their statuses are declared once, in ERROR_CODES. Errors the domain throws (src/domain/errors.ts:
 * FieldError, NotFoundError, ConflictError) are answered here too, by the one handler.
 * PostgreSQL constraint violations are translated here (SQLSTATE 23505 unique → 409,
 * 23514 check and 22P02 bad text representation → 400, 23503 foreign key → 404), so the
 * database stays the last word on what is valid. A database that cannot be reached, or that
 * dropped the session (src/db/unavailable.ts), gives 503 `database_unavailable` with `Retry-After`.
 */
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { ConflictError, FieldError, NotFoundError } from '../domain/errors.js';

/**
 * Every error code the API answers, once: its usual HTTP status and what it means (the OpenAPI
 * `Error` schema's `code` enum and description are made from this table, src/api/schemas.ts).
 * A few answers keep a code under another status: `validation_failed` for any other 4xx Fastify
 * raises (e.g. 413, 414, 415).
 */
export const ERROR_CODES = {
  validation_failed: { status: 400, meaning: 'a value is missing, malformed or not allowed; field names it' },
  unauthorized: { status: 401, meaning: 'no API key, or an unknown or revoked one' },
  invalid_credentials: { status: 401, meaning: 'the email or the password is wrong (the same answer for both)' },
  forbidden: { status: 403, meaning: 'the key may not do this' },
  csrf_invalid: { status: 403, meaning: 'a write with the session cookie lacks a valid x-csrf-token header' },
  not_found: { status: 404, meaning: 'no such record, route or customer for this key' },
  conflict: { status: 409, meaning: 'a value already in use, or a state that does not allow the change' },
  tenant_required: { status: 400, meaning: 'an admin key must name the customer (path or X-Tenant-ID)' },
  rate_limited: { status: 429, meaning: 'too many requests; Retry-After says when to retry' },
  destination_not_allowed: { status: 400, meaning: 'the destination policy refuses this host or address' },
  esl_unavailable: { status: 503, meaning: 'no FreeSWITCH event socket is connected' },
  database_unavailable: { status: 503, meaning: 'the database cannot be reached; Retry-After says when to retry' },
  internal: { status: 500, meaning: 'an unexpected failure; nothing internal is answered' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The error codes, in table order. */
export const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as ErrorCode[];

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** An ApiError with the status the table gives `code`. */
export const apiError = (code: ErrorCode, message: string, field?: string) => new ApiError(ERROR_CODES[code].status, code, message, field);

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

export const notFound = (what: string) => apiError('not_found', `${what} not found`);
export const invalid = (field: string, message: string) => apiError('validation_failed', message, field);

const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** `extensions_tenant_id_extension_key` on table `extensions` → `extension` (the last column). */
function fieldOfConstraint(table: string | undefined, constraint: string | undefined): string | undefined {
  if (!constraint) return undefined;
  const columns = constraint
    .replace(new RegExp(`^${table ?? ''}_`), '')
    .replace(/_(key|check|fkey|pkey)$/, '')
    .replace(/^tenant_id_/, '');
  return camel(columns);
}

interface PgError {
  code?: string;
  table?: string;
  constraint?: string;
  column?: string;
}

/** Seconds a client is told to wait (`Retry-After`, RFC 9110 §10.2.3) when the database is unavailable. */
const DATABASE_RETRY_AFTER_S = 5;

/** An ApiError for a PostgreSQL error, or undefined when it is not the client's fault. */
export function fromDatabase(err: unknown): ApiError | undefined {
  const e = err as PgError;
  if (typeof e?.code !== 'string' || !/^(23|22)/.test(e.code)) return undefined;
  const field = e.column ? camel(e.column) : fieldOfConstraint(e.table, e.constraint);
  switch (e.code) {
    case '23505':
      return apiError('conflict', `${field ?? 'value'} is already in use`, field);
    case '23503':
      return apiError('not_found', `the referenced ${field ?? 'record'} does not exist`, field);
    case '23514':
    case '23502':
    case '22P02':
    case '22001':
    case '22003':
    case '22007':
      return apiError('validation_failed', `${field ?? 'a value'} is not valid`, field);
    default:
      return undefined;
  }
}

/**
 * The ajv error to answer: the first one, except that for a value checked against alternatives
 * (`anyOf`, such as a nullable string: null, or a string with a pattern) the summary ("must match
 * a schema in anyOf") and the null branch ("must be null") say less than the other branch's
 * error at the same value ("must match pattern …"), which is answered instead.
 */
function mainValidation(err: FastifyError): FastifySchemaValidationError | undefined {
  const all = err.validation ?? [];
  const first = all[0];
  if (!first) return undefined;
  const telling = all.filter((e) => e.instancePath === first.instancePath && e.keyword !== 'anyOf'
    && !(e.keyword === 'type' && (e.params as { type?: unknown }).type === 'null'));
  return telling[0] ?? first;
}

/** The field a JSON-schema (ajv) validation error is about: `/port` → `port`, missing → its name. */
function fieldOfValidation(err: FastifyError): string | undefined {
  const first = mainValidation(err);
  if (!first) return undefined;
  const missing = (first.params as { missingProperty?: string; additionalProperty?: string }) ?? {};
  const path = first.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const leaf = missing.missingProperty ?? missing.additionalProperty;
  return [path, leaf].filter(Boolean).join('.') || undefined;
}

/**
 * The longest `message` and `field` an answer carries. Messages quote at most an excerpt of a
 * value (src/domain/excerpt.ts); this cut is the backstop, so that no answer echoes a large value.
 */
const MAX_MESSAGE = 512;
const MAX_FIELD = 128;
const cut = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** The ApiError for an error a domain module threw about the request, or undefined. */
function fromDomain(err: unknown): ApiError | undefined {
  if (err instanceof FieldError) return apiError(err.code, err.message, err.field);
  if (err instanceof NotFoundError) return apiError('not_found', err.message, err.field);
  if (err instanceof ConflictError) return apiError('conflict', err.message, err.field);
  return undefined;
}

/**
 * Fastify error handler of the API, the only one: never leaks internals, always names the field
 * it can, never answers more than MAX_MESSAGE characters of message. Domain errors
 * (src/domain/errors.ts) are answered by their kind; PostgreSQL's by `fromDatabase`.
 */
export function sendApiError(err: FastifyError | ApiError | Error, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  let api: ApiError;
  const domain = fromDomain(err);
  if (err instanceof ApiError) {
    api = err;
  } else if (domain) {
    api = domain;
  } else if ((err as FastifyError).validation) {
    const field = fieldOfValidation(err as FastifyError);
    const where = (err as FastifyError).validationContext ?? 'body';
    api = apiError('validation_failed', `${field ?? where}: ${mainValidation(err as FastifyError)?.message ?? 'invalid'}`, field);
  } else if ((err as FastifyError).statusCode === 429) {
    api = apiError('rate_limited', err.message);
  } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! >= 400 && (err as FastifyError).statusCode! < 500) {
    const status = (err as FastifyError).statusCode!;
    api = new ApiError(status, status === 404 ? 'not_found' : 'validation_failed', err.message);
  } else {
    const fromDb = fromDatabase(err);
    if (fromDb) {
      api = fromDb;
    } else if (isDatabaseUnavailable(err)) {
      // The pools reconnect on the next request (src/db/postgres.ts): the client may retry soon.
      req.log.warn({ err }, 'API request failed: database unavailable');
      reply.header('retry-after', String(DATABASE_RETRY_AFTER_S));
      api = apiError('database_unavailable', 'the database is unavailable; retry later');
    } else {
      req.log.error({ err }, 'API request failed');
      api = apiError('internal', 'internal error');
    }
  }
  const body: ErrorBody = { error: { code: api.code, message: cut(api.message, MAX_MESSAGE), ...(api.field ? { field: cut(api.field, MAX_FIELD) } : {}) } };
  return reply.code(api.statusCode).send(body);
}
