/**
 * The portal's one way to the REST API: `api`, an openapi-fetch client typed by schema.d.ts
 * (generated from the OpenAPI document by `npm run api:types`). Requests go same-origin with the
 * session cookie; writes (anything but GET/HEAD) carry the session's CSRF token in `x-csrf-token`;
 * an operator's requests name the customer chosen in the header's picker in `X-Tenant-ID`
 * (api/tenant.ts), so pages use the non-customer path forms (`/api/v1/trunks`…).
 *
 * Failures: `unwrap(result)` returns the body of a 2xx answer and throws `ApiError` { status, code,
 * message, field } for the API's `{ error: { code, message, field } }` (or any other failure).
 * A 401 outside /api/v1/auth/ means the session ended: the handler set with `onUnauthorized`
 * (auth/session.tsx) is told, and the app goes to /login.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { chosenTenant } from './tenant';

/** The API's named schemas (`Schemas['Trunk']`, `Schemas['Cdr']`…). */
export type Schemas = components['schemas'];

/** A failed request: the API's error `code` (or `network` / `http_<status>` when there is none). */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when no answer came (network down). */
    readonly status: number,
    readonly code: string,
    message: string,
    /** The request field at fault, e.g. `host` or `businessHours.monday`, or null. */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What the session lends the client; set by auth/session.tsx. */
const session: { csrfToken: string | null; operator: boolean } = { csrfToken: null, operator: false };
let unauthorized: (() => void) | null = null;

/** The logged-in person's CSRF token and whether X-Tenant-ID is sent (operators); null token after logout. */
export function setSessionCredentials(csrfToken: string | null, operator: boolean): void {
  session.csrfToken = csrfToken;
  session.operator = operator;
}

/** Called when an API answer says the session is gone (401 outside /api/v1/auth/). */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorized = handler;
}

/** The X-Tenant-ID an operator's request carries (the picker's customer), or null. */
export function tenantHeader(): string | null {
  return session.operator ? chosenTenant() : null;
}

const sessionMiddleware: Middleware = {
  onRequest({ request }) {
    if (request.method !== 'GET' && request.method !== 'HEAD' && session.csrfToken) request.headers.set('x-csrf-token', session.csrfToken);
    const tenant = tenantHeader();
    if (tenant && !request.headers.has('x-tenant-id')) request.headers.set('x-tenant-id', tenant);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !new URL(request.url).pathname.startsWith('/api/v1/auth/')) unauthorized?.();
    return undefined;
  },
};

/** The typed API client: `api.GET('/api/v1/trunks')`, `api.POST(…, { body })`; pass results to `unwrap`. */
export const api = createClient<paths>({ baseUrl: globalThis.location?.origin ?? '', credentials: 'same-origin' });
api.use(sessionMiddleware);

interface ErrorShape {
  error?: { code?: unknown; message?: unknown; field?: unknown };
}

/** The ApiError of a failed answer's status and body (the API's error shape, text, or nothing). */
export function apiErrorOf(status: number, body: unknown): ApiError {
  const e = (body as ErrorShape | null)?.error;
  if (e && typeof e.code === 'string') {
    return new ApiError(status, e.code, typeof e.message === 'string' ? e.message : e.code, typeof e.field === 'string' ? e.field : null);
  }
  const text = typeof body === 'string' && body.length > 0 && body.length < 200 ? body : `the server answered ${status}`;
  return new ApiError(status, `http_${status}`, text);
}

/**
 * The body of a successful openapi-fetch result; throws ApiError for a failed one.
 * @example const { data: trunks } = unwrap(await api.GET('/api/v1/trunks'));
 */
export function unwrap<R extends { data?: unknown; error?: unknown; response: Response }>(result: R): Exclude<R['data'], undefined> {
  if (!result.response.ok) throw apiErrorOf(result.response.status, result.error);
  return result.data as Exclude<R['data'], undefined>;
}

/**
 * Any thrown value as an ApiError: a fetch that failed without an answer (TypeError) is code
 * `network`, another Error keeps its message (code `client`); both status 0.
 */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof TypeError) return new ApiError(0, 'network', `the service cannot be reached (${err.message})`);
  return new ApiError(0, 'client', err instanceof Error ? err.message : String(err));
}
