/**
 * The audit log of a customer, read-only: `GET /api/v1/audit-log` (and
 * `/api/v1/customers/{customerId}/audit-log` for admin keys and operators, or X-Tenant-ID):
 * `{ data: [AuditEntry], pagination: { page, limit, total, pages } }`, newest first.
 * Filters: `from` / `to` over the time of the change (as the CDR list: a date-time with `Z` or an
 * offset, or a date `YYYY-MM-DD` in the customer's time zone), `actor` (part of it,
 * case-insensitive), `resourceType` and `action` (exact). `before` / `after` are the record as it
 * was and became, with secrets answered as `"***"` (src/domain/audit-queries.ts).
 * Reading needs `tenant:read`, `tenant` or `admin` (a customer admin or an operator).
 */
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listAuditLog, type AuditRow } from '../domain/audit-queries.js';
import { tenantOfPath } from './auth.js';
import type { ApiDeps } from './deps.js';
import { PageFields, PageResponse, rangeFilters, rejectUnknown } from './listing.js';
import { bearer, errorResponses, Nullable, PATH_FORMS } from './schemas.js';

const Name = (description: string) => Type.String({ minLength: 1, maxLength: 200, description });

const AuditEntrySchema = Type.Object(
  {
    id: Type.String({ description: 'the entry id' }),
    createdAt: Type.String({ format: 'date-time' }),
    actor: Type.String({ description: 'who: an API key "sp_1a2b3c4d (name)", a person, or a service such as "scheduler <instance>"' }),
    action: Type.String({ description: 'create, update, delete, suspend, revoke, test, originate, hangup, transfer, recurring_call_*' }),
    resourceType: Type.String({ description: 'customer, trunk, phone_number, extension, api_key, call, recurring_call, ...' }),
    resourceId: Nullable(Type.String()),
    before: Type.Unknown({ description: 'the record before the change (null for a create); secrets are "***"' }),
    after: Type.Unknown({ description: 'the record after the change (null for a delete); secrets are "***"' }),
  },
  { $id: 'AuditEntry', title: 'AuditEntry' },
);

const ListQuery = Type.Object({
  ...rangeFilters('changes made'),
  actor: Type.Optional(Name('part of the actor, case-insensitive')),
  resourceType: Type.Optional(Name('exact resource type, e.g. trunk')),
  action: Type.Optional(Name('exact action, e.g. update')),
  ...PageFields,
});

const entryJson = (r: AuditRow) => ({ ...r, createdAt: r.createdAt.toISOString() });

export const auditLogRoutes: FastifyPluginAsyncTypebox<ApiDeps> = async (app, { store }) => {
  app.addSchema(AuditEntrySchema);
  for (const form of PATH_FORMS) {
    app.get(`${form.prefix}/audit-log`, {
      schema: {
        tags: ['audit log'], security: bearer, summary: 'List the changes made to the customer, newest first, secrets masked',
        ...(form.collection ? { params: form.collection } : {}),
        querystring: ListQuery,
        response: { 200: PageResponse(Type.Ref(AuditEntrySchema), 'entries'), ...errorResponses },
      },
    }, async (req) => {
      rejectUnknown(req.query, ListQuery);
      const { data, pagination } = await listAuditLog(store, tenantOfPath(req, 'read').tenantId, req.query);
      return { data: data.map(entryJson), pagination };
    });
  }
};
