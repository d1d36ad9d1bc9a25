/**
 * Logging in and out with the session cookie (src/api/session.ts), under `/api/v1/auth`; no API
 * key needed:
 * - `POST /auth/login` `{ email, password }` → 200 `{ data: { user: SessionUser, csrfToken } }`
 *   and the `sp_session` cookie; a wrong email or password (or a login that is disabled or still
 *   invited) → 401 `invalid_credentials`, the same answer in about the same time (an unknown email
 *   still verifies a dummy hash); too many failures for the account or from the address → 429
 *   `rate_limited` with `Retry-After` (src/api/login-limits.ts).
 * - `POST /auth/logout` → 204, the session deleted (with a logged-in session: needs `x-csrf-token`).
 * - `GET /auth/session` → 200 like login (a fresh `csrfToken` for the same session), or 401.
 * - `POST /auth/accept` `{ token, password }` (an invite or reset link's token) → sets the
 *   password and logs in: 200 like login; an unknown, used or expired token → 400 on `token`.
 * A new session id is issued at every login (no fixation), and sessions idle for 12 h end.
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { USER_ROLES } from '../domain/api-keys.js';
import { verifyPassword, PASSWORD_MAX, PASSWORD_MIN } from '../domain/passwords.js';
import { UserSessionStore } from '../domain/user-sessions.js';
import { acceptLink, findLogin, normalEmail, recordLogin, sessionUser, type SessionUser } from '../domain/users.js';
import type { PublicRoute } from './auth.js';
import type { ApiDeps } from './deps.js';
import { apiError } from './errors.js';
import { LoginLimits } from './login-limits.js';
import { Data, errorResponses, Nullable, StringEnum, Uuid } from './schemas.js';
import { checkCsrf } from './session.js';

const SessionUserSchema = Type.Object(
  {
    id: Uuid,
    email: Type.String(),
    name: Type.String(),
    role: StringEnum(USER_ROLES, { description: 'operator: every customer; admin: the whole customer; agent: its own extension, calls and softphone' }),
    tenantId: Nullable(Uuid),
    tenantName: Nullable(Type.String()),
    extensionId: Nullable(Uuid),
    extension: Nullable(Type.String({ description: 'the linked extension\'s number, e.g. 1001' })),
  },
  { $id: 'SessionUser', title: 'SessionUser' },
);

const LoggedIn = Data(Type.Object({
  user: Type.Ref(SessionUserSchema),
  csrfToken: Type.String({ description: 'send as the x-csrf-token header on every POST, PUT, PATCH and DELETE made with the session cookie' }),
}));

const Login = Type.Object({ email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }) }, { additionalProperties: false });
const Accept = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: PASSWORD_MIN, maxLength: PASSWORD_MAX, description: `the new password, ${PASSWORD_MIN} to ${PASSWORD_MAX} characters` }) },
  { additionalProperties: false },
);

const config: PublicRoute = { public: true };
const tags = ['auth'];
const noKey: Array<Record<string, string[]>> = [];

export const authRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store }) => {
  const sessions = new UserSessionStore(store);
  const limits = new LoginLimits();
  app.addSchema(SessionUserSchema);

  /** Starts a new session for `user` and answers it. */
  async function logIn(req: FastifyRequest, reply: FastifyReply, user: SessionUser) {
    await req.session.regenerate();
    req.session.userId = user.id;
    const now = new Date();
    await Promise.all([recordLogin(store, user.id, now), sessions.prune(now)]);
    return { data: { user, csrfToken: reply.generateCsrf() } };
  }

  app.post('/auth/login', {
    config,
    schema: { tags, security: noKey, summary: 'Log in with email and password: sets the sp_session cookie', body: Login, response: { 200: LoggedIn, ...errorResponses } },
  }, async (req, reply) => {
    const email = normalEmail(req.body.email);
    const wait = await limits.retryAfter(email, req.ip);
    if (wait > 0) {
      reply.header('retry-after', wait);
      throw apiError('rate_limited', `too many failed logins; retry in ${wait} s`);
    }
    const found = await findLogin(store, email);
    const matches = await verifyPassword(found?.password_hash ?? null, req.body.password);
    const user = matches && found?.status === 'active' ? await sessionUser(store, found.id) : null;
    if (!user) {
      await limits.fail(email, req.ip);
      throw apiError('invalid_credentials', 'the email or the password is wrong');
    }
    await limits.succeed(email);
    return logIn(req, reply, user);
  });

  app.post('/auth/logout', {
    config,
    schema: { tags, security: noKey, summary: 'Log out: the session ends on every instance', response: { 204: Type.Null(), ...errorResponses } },
  }, async (req, reply) => {
    if (typeof req.session.userId === 'string') {
      await checkCsrf(req);
      await req.session.destroy();
    }
    return reply.code(204).send(null);
  });

  app.get('/auth/session', {
    config,
    schema: { tags, security: noKey, summary: 'The logged-in person and a CSRF token, or 401', response: { 200: LoggedIn, ...errorResponses } },
  }, async (req, reply) => {
    const userId = req.session.userId;
    const user = typeof userId === 'string' ? await sessionUser(store, userId) : null;
    if (!user) throw apiError('unauthorized', 'not logged in');
    return { data: { user, csrfToken: reply.generateCsrf() } };
  });

  app.post('/auth/accept', {
    config,
    schema: { tags, security: noKey, summary: 'Set a password with an invite or reset link\'s token, and log in', body: Accept, response: { 200: LoggedIn, ...errorResponses } },
  }, async (req, reply) => {
    const userId = await acceptLink(store, req.body.token, req.body.password, new Date());
    const user = userId ? await sessionUser(store, userId) : null;
    if (!user) throw apiError('validation_failed', 'this link is unknown, already used or expired; ask your administrator for a new one', 'token');
    return logIn(req, reply, user);
  });
};
