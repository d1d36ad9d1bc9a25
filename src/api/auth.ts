/**
 * Authentication and tenancy of the REST API. `Authorization: Bearer <key>` names a principal
 * (src/domain/api-keys.ts); without that header, a logged-in session cookie does
 * (src/api/session.ts: the person's role gives the scopes); `actingTenant` decides which tenant a
 * request acts on:
 * - a tenant key acts on its own tenant; a customer id in the path that is not its own answers
 *   404, as if it did not exist;
 * - an admin key acts on the customer in the path (`/api/v1/customers/{id}/...`) or in the
 *   `X-Tenant-ID` header.
 * Row-level security then enforces the choice: everything a request reads or writes runs in
 * `store.withTenant(tenantId, ...)`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthFailures } from '../auth-failures.js';
import type { Store } from '../db/store.js';
import { authenticateKey, type Principal, type Scope } from '../domain/api-keys.js';
import { apiError, notFound } from './errors.js';
import { sessionPrincipal } from './session.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Route config of the routes that authenticate on their own (the login routes, src/api/auth-routes.ts). */
export interface PublicRoute {
  public?: boolean;
}

/**
 * onRequest hook: sets `req.principal` or answers 401. A request without `Authorization: Bearer`
 * is authenticated by its session cookie when it has a logged-in one (a write then needs its
 * CSRF token: 403 `csrf_invalid`). A missing, malformed, unknown or revoked key, without a
 * session, counts against the client address (src/auth-failures.ts); an address over the limit
 * answers 429 `rate_limited` with `Retry-After` before its key is looked at. Routes whose config
 * says `public` are left to themselves.
 */
export function authenticate(store: Store, failures: AuthFailures) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if ((req.routeOptions.config as PublicRoute | undefined)?.public) return;
    const wait = await failures.retryAfter(req.ip);
    if (wait > 0) {
      reply.header('retry-after', wait);
      throw apiError('rate_limited', `more than ${failures.perMinute} failed authentications a minute from this address; retry in ${wait} s`);
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) {
      const person = await sessionPrincipal(store, req);
      if (person) {
        req.principal = person;
        return;
      }
      await failures.fail(req.ip);
      throw apiError('unauthorized', 'log in, or send an API key: Authorization: Bearer <key>');
    }
    const principal = await authenticateKey(store, match[1]!);
    if (!principal) {
      await failures.fail(req.ip);
      // Only the public prefix is logged, never the secret part of a key.
      req.log.warn({ keyPrefix: match[1]!.slice(0, 11), ip: req.ip }, 'API request with an unknown, malformed or revoked key');
      throw apiError('unauthorized', 'the API key is unknown or revoked');
    }
    req.principal = principal;
  };
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw apiError('unauthorized', 'log in, or send an API key: Authorization: Bearer <key>');
  return req.principal;
}

const isAdmin = (p: Principal) => p.scopes.has('admin');

/** 403 unless the key is an admin key. */
export function requireAdmin(req: FastifyRequest): Principal {
  const p = principalOf(req);
  if (!isAdmin(p)) throw apiError('forbidden', 'this needs an admin key');
  return p;
}

/**
 * The tenant a request acts on, checked against what the key may do.
 * @param customerId the `{id}` of a `/customers/{id}/...` path, if any
 * @param access `read` needs `tenant:read`, `tenant` or `admin`; `write` needs `tenant` or `admin`
 * @throws ApiError 404 for another tenant's customer id, 400 `tenant_required` for an admin key
 *   without a tenant, 403 for a read-only key writing
 */
export function actingTenant(req: FastifyRequest, access: 'read' | 'write', customerId?: string): { principal: Principal; tenantId: string } {
  const principal = principalOf(req);
  let tenantId: string;
  if (isAdmin(principal)) {
    const header = req.headers['x-tenant-id'];
    const chosen = customerId ?? (typeof header === 'string' ? header : undefined);
    if (!chosen) throw apiError('tenant_required', 'an admin key names the tenant with /customers/{id}/... or X-Tenant-ID', 'X-Tenant-ID');
    if (!UUID.test(chosen)) throw (customerId ? notFound('customer') : apiError('validation_failed', 'X-Tenant-ID must be a UUID', 'X-Tenant-ID'));
    tenantId = chosen.toLowerCase();
  } else {
    if (!principal.tenantId || (customerId !== undefined && customerId.toLowerCase() !== principal.tenantId)) throw notFound('customer');
    tenantId = principal.tenantId;
    const may: Scope[] = access === 'read' ? ['tenant', 'tenant:read'] : ['tenant'];
    if (!may.some((s) => principal.scopes.has(s))) throw apiError('forbidden', `this key may not ${access}`);
  }
  return { principal, tenantId };
}

/**
 * `actingTenant` for a route of either path form (src/api/schemas.ts PATH_FORMS): the customer is
 * the path's `{customerId}` when the route has one.
 */
export function tenantOfPath(req: FastifyRequest, access: 'read' | 'write'): { principal: Principal; tenantId: string } {
  return actingTenant(req, access, (req.params as { customerId?: string } | undefined)?.customerId);
}

/**
 * `tenantOrAgent` for routes an agent may use too (its own extension, its own calls, the
 * softphone): an agent acts on its own tenant and gets `agentExtensionId`, the only extension the
 * route may then show or act on (null for everyone else, who are checked as by `actingTenant`).
 * @throws ApiError 403 `forbidden` for an agent without a linked extension or writing where
 *   `access` is `read`; 404 for another tenant's customer id
 */
export function tenantOrAgent(req: FastifyRequest, access: 'read' | 'write'): { principal: Principal; tenantId: string; agentExtensionId: string | null } {
  const principal = principalOf(req);
  const user = principal.user;
  if (user?.role !== 'agent') return { ...tenantOfPath(req, access), agentExtensionId: null };
  const customerId = (req.params as { customerId?: string } | undefined)?.customerId;
  if (!principal.tenantId || (customerId !== undefined && customerId.toLowerCase() !== principal.tenantId)) throw notFound('customer');
  if (!user.extensionId) throw apiError('forbidden', 'this login has no extension linked; ask your administrator');
  return { principal, tenantId: principal.tenantId, agentExtensionId: user.extensionId };
}

/** 403 unless the key may read SIP passwords (`extensions:credentials`). */
export function requireCredentialsScope(principal: Principal): void {
  if (!principal.scopes.has('extensions:credentials')) {
    throw apiError('forbidden', 'reading SIP passwords needs the extensions:credentials scope');
  }
}
