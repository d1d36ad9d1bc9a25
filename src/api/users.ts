/**
 * People who log in to the portal, as a customer's admin or an operator manages them:
 * `GET/POST /api/v1/users`, `GET/PATCH/DELETE /api/v1/users/{id}` and
 * `POST /api/v1/users/{id}/reset`, also under `/api/v1/customers/{customerId}/users`.
 * - A customer's admin (or a tenant key) manages its own customer's admins and agents; reading
 *   needs `tenant:read` or `tenant`, changing needs `tenant`. Agents get 403.
 * - An operator (or an admin key) manages any customer's people, naming the customer as for every
 *   other resource (path or `X-Tenant-ID`); naming none, it manages the operators: `POST /users`
 *   with `role: operator` and no customer creates another operator.
 * - `POST /users` invites: the person is `invited`, without a password, and the answer holds
 *   `inviteLink` (`/accept?token=...`, 72 h, once), shown nowhere else; no mail is sent.
 *   `POST /users/{id}/reset` answers `link`: a 1-hour reset link (a new invite link for a person
 *   still invited). The portal's `/accept` page sends the token to `POST /auth/accept`.
 * - `PATCH` changes `name`, `role`, `extensionId` (an extension of the same customer, or null) and
 *   `status` (`active` | `disabled`; a disabled person's sessions end at once). Nobody disables,
 *   demotes or deletes its own login.
 */
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { USER_ROLES } from '../domain/api-keys.js';
import { deleteUser, getUser, inviteUser, listUsers, resetLink, updateUser, type UserScope } from '../domain/user-admin.js';
import type { UserRow } from '../domain/users.js';
import { principalOf, tenantOfPath } from './auth.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, errorResponses, Nullable, PATH_FORMS, StringEnum, Uuid } from './schemas.js';

const DateTime = Type.String({ format: 'date-time' });
const Role = StringEnum(USER_ROLES, { description: 'operator (no customer): every customer; admin: the whole customer; agent: its own extension, calls and softphone' });

const UserSchema = Type.Object(
  {
    id: Uuid,
    customerId: Nullable(Uuid),
    email: Type.String(),
    name: Type.String(),
    role: Role,
    status: StringEnum(['active', 'invited', 'disabled'] as const, { description: 'invited: has not set a password yet; disabled: cannot log in' }),
    extensionId: Nullable(Uuid),
    createdAt: DateTime,
    updatedAt: DateTime,
    lastLoginAt: Nullable(DateTime),
  },
  { $id: 'User', title: 'User' },
);

const Create = Type.Object(
  {
    email: Type.String({ minLength: 3, maxLength: 254, description: 'the login; unique across every customer, compared without case' }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Role,
    extensionId: Type.Optional(Nullable(Uuid)),
  },
  { additionalProperties: false },
);
const Update = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    role: Type.Optional(Role),
    extensionId: Type.Optional(Nullable(Uuid)),
    status: Type.Optional(StringEnum(['active', 'disabled'] as const)),
  },
  { additionalProperties: false, minProperties: 1 },
);

const Link = Type.String({ description: 'the portal path that sets the password, /accept?token=...; works once' });

export const userJson = (u: UserRow): Static<typeof UserSchema> => ({
  id: u.id,
  customerId: u.tenant_id,
  email: u.email,
  name: u.name,
  role: u.role,
  status: u.status,
  extensionId: u.extension_id,
  createdAt: u.created_at.toISOString(),
  updatedAt: u.updated_at.toISOString(),
  lastLoginAt: u.last_login_at?.toISOString() ?? null,
});

export const userRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store }) => {
  app.addSchema(UserSchema);
  const tags = ['users'];
  const one = { 200: Data(Type.Ref(UserSchema)), ...errorResponses };

  /** The customer named by path or X-Tenant-ID, or the operators for an admin naming none. */
  function scope(req: FastifyRequest, access: 'read' | 'write'): UserScope {
    const principal = principalOf(req);
    const namesCustomer = (req.params as { customerId?: string }).customerId !== undefined || req.headers['x-tenant-id'] !== undefined;
    if (principal.scopes.has('admin') && !namesCustomer) return { store, principal, tenantId: null };
    return { store, ...tenantOfPath(req, access) };
  }

  for (const form of PATH_FORMS) {
    const base = `${form.prefix}/users`;
    const ListParams = form.collection ? { params: form.collection } : {};
    const item = `${base}/:id`;

    app.get(base, {
      schema: { tags, security: bearer, summary: 'List the customer\'s people (an operator naming no customer: the operators)', ...ListParams, response: { 200: Data(Type.Array(Type.Ref(UserSchema))), ...errorResponses } },
    }, async (req) => ({ data: (await listUsers(scope(req, 'read'))).map(userJson) }));

    app.post(base, {
      schema: {
        tags, security: bearer, summary: 'Invite a person: the answer\'s inviteLink (72 h, once) is shown nowhere else',
        ...ListParams, body: Create,
        response: { 201: Data(Type.Object({ user: Type.Ref(UserSchema), inviteLink: Link })), ...errorResponses },
      },
    }, async (req, reply) => {
      const { user, inviteLink } = await inviteUser(scope(req, 'write'), req.body, new Date());
      return reply.code(201).send({ data: { user: userJson(user), inviteLink } });
    });

    app.get(item, {
      schema: { tags, security: bearer, summary: 'Get a person', params: form.item, response: one },
    }, async (req) => ({ data: userJson(await getUser(scope(req, 'read'), req.params.id)) }));

    app.patch(item, {
      schema: { tags, security: bearer, summary: 'Change a person\'s name, role, linked extension or status (disabled: its sessions end at once)', params: form.item, body: Update, response: one },
    }, async (req) => ({ data: userJson(await updateUser(scope(req, 'write'), req.params.id, req.body, new Date())) }));

    app.delete(item, {
      schema: { tags, security: bearer, summary: 'Delete a person; its sessions end', params: form.item, response: { 204: Type.Null(), ...errorResponses } },
    }, async (req, reply) => {
      await deleteUser(scope(req, 'write'), req.params.id);
      return reply.code(204).send(null);
    });

    app.post(`${item}/reset`, {
      schema: { tags, security: bearer, summary: 'A password reset link (1 h, once; an invited person gets a new invite link)', params: form.item, response: { 200: Data(Type.Object({ link: Link })), ...errorResponses } },
    }, async (req) => ({ data: { link: await resetLink(scope(req, 'write'), req.params.id, new Date()) } }));
  }
};
