/**
 * Logins of people (src/domain/users.ts) for the REST API, beside API keys:
 * - @fastify/cookie and @fastify/session: the cookie `sp_session` (HttpOnly, SameSite=Lax, Secure
 *   when the request came over HTTPS, path `/`) holds a signed random session id; the session lives
 *   in PostgreSQL (src/domain/user-sessions.ts), so every instance on the database accepts it. It
 *   ends after SESSION_IDLE_MS without a request (each request moves the end forward). The
 *   signing secret is derived from the secrets key (SecretBox.derive), which every instance shares.
 *   Only logged-in sessions are stored.
 * - @fastify/csrf-protection, with its secret in the session: every POST, PUT, PATCH and DELETE
 *   authenticated by the cookie needs the header `x-csrf-token` with the token the login answered
 *   (`csrfToken`), else 403 `csrf_invalid`. Requests with `Authorization: Bearer` need none.
 * - `sessionPrincipal`: the principal of the request's session, its user re-read on every request
 *   so that a disabled or deleted user's session stops at once.
 */
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import session from '@fastify/session';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../db/store.js';
import type { Principal } from '../domain/api-keys.js';
import type { SecretBox } from '../domain/secrets.js';
import { UserSessionStore } from '../domain/user-sessions.js';
import { principalOfUser } from '../domain/users.js';
import { apiError } from './errors.js';

declare module 'fastify' {
  interface Session {
    /** The logged-in user's id (users.id), set at login. */
    userId?: string;
    /** The CSRF secret (@fastify/csrf-protection). */
    _csrf?: string;
  }
}

export const SESSION_COOKIE = 'sp_session';
/** A session ends after this long without a request: 12 hours. */
export const SESSION_IDLE_MS = 12 * 3600_000;
/** The header a cookie-authenticated write carries its CSRF token in. */
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Registers cookies, sessions and CSRF protection on `api` (the `/api/v1` scope), before its
 * authentication hook.
 */
export async function registerSessions(api: FastifyInstance, deps: { store: Store; secrets: SecretBox }): Promise<void> {
  await api.register(cookie);
  await api.register(session, {
    secret: deps.secrets.derive('switchplane session cookie').toString('hex'),
    cookieName: SESSION_COOKIE,
    cookie: { path: '/', httpOnly: true, sameSite: 'lax', secure: 'auto', maxAge: SESSION_IDLE_MS },
    rolling: true,
    saveUninitialized: false,
    store: new UserSessionStore(deps.store) as unknown as session.SessionStore,
  });
  await api.register(csrf, { sessionPlugin: '@fastify/session', getToken: (req) => headerOf(req, CSRF_HEADER) });
}

const headerOf = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * 403 `csrf_invalid` unless the request carries a valid `x-csrf-token` for its session.
 * (@fastify/csrf-protection's check answers through the reply; here it rejects instead.)
 */
export function checkCsrf(req: FastifyRequest): Promise<void> {
  return new Promise((resolve, reject) => {
    const refuse = { send: () => reject(apiError('csrf_invalid', `a write with the session cookie needs the ${CSRF_HEADER} header the login answered`, CSRF_HEADER)) };
    req.server.csrfProtection(req, refuse as unknown as FastifyReply, () => resolve());
  });
}

/**
 * The principal of the request's session, or null without a logged-in session or when its user
 * is no longer active. A write (not GET, HEAD or OPTIONS) must pass `checkCsrf`.
 * @throws ApiError 403 `csrf_invalid`
 */
export async function sessionPrincipal(store: Store, req: FastifyRequest): Promise<Principal | null> {
  const userId = req.session?.userId;
  if (typeof userId !== 'string') return null;
  const principal = await principalOfUser(store, userId);
  if (!principal) return null;
  if (!SAFE_METHODS.has(req.method)) await checkCsrf(req);
  return principal;
}
