/**
 * Session-cookie helpers for API tests: log in as a person and call the API with the cookie and
 * the CSRF token the login answered, as the portal does.
 */
import type { FastifyInstance } from 'fastify';
import type { CallResult } from './api.js';

export interface Session {
  /** `sp_session=<signed id>`, as a browser sends it back. */
  cookie: string;
  csrfToken: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  user: any;
}

/** The `sp_session` cookie a response sets (name=value), or undefined. */
export function sessionCookie(headers: CallResult['headers']): string | undefined {
  const set = headers['set-cookie'];
  const all = Array.isArray(set) ? set : set === undefined ? [] : [String(set)];
  return all.find((c) => c.startsWith('sp_session='))?.split(';')[0];
}

/** `POST /api/v1/auth/login` from `address`; the answer as is. */
export async function loginCall(app: FastifyInstance, email: string, password: string, address = '127.0.0.1'): Promise<CallResult> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: address });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
}

/** Logs in; fails the test's expectations by throwing when the login is refused. */
export async function login(app: FastifyInstance, email: string, password: string): Promise<Session> {
  const res = await loginCall(app, email, password);
  const cookie = sessionCookie(res.headers);
  if (res.status !== 200 || !cookie) throw new Error(`login of ${email} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { cookie, csrfToken: res.body.data.csrfToken, user: res.body.data.user };
}

/**
 * `method url` with the session's cookie and, unless `csrf` is false, its CSRF token; `headers`
 * are added (e.g. X-Tenant-ID).
 */
export async function sessionCall(
  app: FastifyInstance, session: Pick<Session, 'cookie' | 'csrfToken'>, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string,
  payload?: unknown, opts: { csrf?: boolean; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const res = await app.inject({
    method,
    url,
    headers: { cookie: session.cookie, ...(opts.csrf === false ? {} : { 'x-csrf-token': session.csrfToken }), ...opts.headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
}
