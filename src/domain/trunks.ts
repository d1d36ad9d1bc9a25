/**
 * SIP trunks and the sofia gateways FreeSWITCH builds from them.
 */
import type { Kysely } from 'kysely';
import type { Database, Trunk } from '../db/schema.js';

/**
 * The gateway name of a trunk: its id, which is globally unique and never changes, as sofia
 * requires (gateway names are global across profiles and must match `^[\w.-]+$`, mod_sofia
 * sofia.c `parse_gateways`). Dial strings (`sofia/gateway/<name>/...`), `limit` resources and the
 * ESL gateway-state tracker all use this one function.
 */
export function gatewayName(trunk: Pick<Trunk, 'id'>): string {
  return trunk.id;
}

export interface GatewayRow extends Trunk {
  tenant_slug: string;
  tenant_domain: string;
}

/** Every active trunk of every active tenant (or of `tenantId` only), ordered by tenant and priority. */
export async function listActiveGateways(db: Kysely<Database>, tenantId?: string): Promise<GatewayRow[]> {
  let query = db
    .selectFrom('trunks')
    .innerJoin('tenants', 'tenants.id', 'trunks.tenant_id')
    .selectAll('trunks')
    .select(['tenants.slug as tenant_slug', 'tenants.sip_domain as tenant_domain'])
    .where('trunks.status', '=', 'active')
    .where('tenants.status', '=', 'active')
    .orderBy('tenants.slug')
    .orderBy('trunks.priority')
    .orderBy('trunks.name');
  if (tenantId !== undefined) query = query.where('trunks.tenant_id', '=', tenantId);
  return query.execute();
}
