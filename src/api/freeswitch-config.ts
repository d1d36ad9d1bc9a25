/**
 * `GET /api/v1/customers/{id}/freeswitch_config` (AI receptionist guide): the exact XML
 * FreeSWITCH gets for this customer, from the same renderers as `/freeswitch/xml`:
 * - `directory`: the `sip_auth` answer of each active extension (realm = the SIP domain), with
 *   the voicemail PIN (`vm-password`) replaced by `********`;
 * - `gateways`: the `sofia.conf` answer for the `external` profile with this customer's gateways
 *   only, trunk passwords replaced by `********` (FreeSWITCH itself gets them in clear);
 * - `dialplan`: the inbound (`public` context) answer for each of the customer's numbers, at the
 *   time of the request (AI numbers depend on business hours).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync } from 'fastify';
import { planCall } from '../domain/call-routing.js';
import { configurationScope, INBOUND_CONTEXT } from '../domain/tenants.js';
import { TRUNK_PROFILE } from '../freeswitch/vocabulary.js';
import { answerDirectory } from '../xmlcurl/directory.js';
import { renderDialplan } from '../xmlcurl/dialplan.js';
import { answerSofia } from '../xmlcurl/sofia.js';
import { actingTenant } from './auth.js';
import type { ApiDeps } from './deps.js';
import { bearer, Data, errorResponses } from './schemas.js';

const FreeswitchConfig = Type.Object({
  directory: Type.Array(Type.Object({ user: Type.String(), xml: Type.String() })),
  gateways: Type.String(),
  dialplan: Type.Array(Type.Object({ number: Type.String(), xml: Type.String() })),
});

/** The document with the values of secret params (trunk `password`, voicemail `vm-password`) masked. */
const masked = (xml: string) => xml.replace(/(<param name="(?:password|vm-password)" value=")[^"]*(")/g, '$1********$2');

export const freeswitchConfigRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store, secrets, tenants, config, clock }) => {
  app.get<{ Params: { customerId: string } }>('/customers/:customerId/freeswitch_config', {
    schema: {
      tags: ['ai receptionist'], security: bearer, summary: 'The XML FreeSWITCH gets for this customer (trunk passwords and voicemail PINs masked)',
      params: Type.Object({ customerId: Type.String({ format: 'uuid' }) }),
      response: { 200: Data(FreeswitchConfig), ...errorResponses },
    },
  }, async (req) => {
    const { tenantId } = actingTenant(req, 'read', req.params.customerId);
    const { domain, users, numbers } = await configurationScope(store, tenantId);
    const deps = { tenants, withLookup: store.withLookup, secrets, cacheMs: config.xmlcurl.directoryCacheMs };
    const directory = [];
    for (const user of users) {
      const xml = await answerDirectory({ section: 'directory', domain, user, action: 'sip_auth', purpose: null, realm: domain }, deps);
      if (xml !== null) directory.push({ user, xml: masked(xml.toString()) });
    }
    const gateways = await store.withLookup((db) => answerSofia(db, { section: 'configuration', file: 'sofia.conf', profile: TRUNK_PROFILE }, config.sofia, secrets, tenantId));
    const dialplan = [];
    for (const number of numbers) {
      const plan = await planCall(tenants, { context: INBOUND_CONTEXT, destination: number, callerNumber: '', authUser: null }, clock());
      if (plan) dialplan.push({ number, xml: renderDialplan(plan) });
    }
    return { data: { directory, gateways: masked(gateways ?? ''), dialplan } };
  });
};
