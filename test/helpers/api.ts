/**
 * API test helpers: keys for the demo tenants and a JSON request shortcut.
 */
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../src/db/store.js';
import { insertApiKey, type Scope } from '../../src/domain/api-keys.js';

export interface DemoKeys {
  admin: string;
  acme: string;
  acmeRead: string;
  acmeCredentials: string;
  globex: string;
  acmeId: string;
  globexId: string;
}

/** Creates an admin key and tenant keys for Acme and Globex (straight in the database). */
export async function demoKeys(store: Store): Promise<DemoKeys> {
  return store.withOperator(async (trx) => {
    const ids = Object.fromEntries((await trx.selectFrom('tenants').select(['id', 'slug']).execute()).map((r) => [r.slug, r.id]));
    const make = async (tenantId: string | null, scopes: Scope[]) => (await insertApiKey(trx, { tenantId, name: `test ${scopes.join(' ')}`, scopes })).key;
    return {
      admin: await make(null, ['admin']),
      acme: await make(ids.acme!, ['tenant']),
      acmeRead: await make(ids.acme!, ['tenant:read']),
      acmeCredentials: await make(ids.acme!, ['tenant', 'extensions:credentials']),
      globex: await make(ids.globex!, ['tenant']),
      acmeId: ids.acme!,
      globexId: ids.globex!,
    };
  });
}

export interface CallResult {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  headers: Record<string, string | string[] | number | undefined>;
}

/** `method url` with `key` as bearer and `payload` as JSON. */
export async function call(app: FastifyInstance, key: string | null, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<CallResult> {
  const res = await app.inject({
    method,
    url,
    headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers };
}
