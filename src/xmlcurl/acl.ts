/**
 * Configuration section, `acl.conf`: the network list `trunks` that the `external` profile applies
 * to inbound calls (`apply-inbound-acl`, src/xmlcurl/sofia.ts), so that FreeSWITCH takes calls
 * only from the tenants' trunks (sofia.c: with `auth-calls` false, a request from an address the
 * list denies is answered 403). FreeSWITCH reads it after its modules are loaded and on
 * `reloadacl` (switch_core.c `switch_load_network_lists`: `<network-lists><list name default>`
 * with `<node type="allow" cidr>` children), which src/esl/reload.ts sends after a trunk change.
 * When the answer is late (XMLCURL_BUDGET_MS) FreeSWITCH uses its own acl.conf, which has no
 * `trunks` list: inbound calls are then refused, never let in.
 */
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import type { GatewayRow } from '../domain/trunks.js';
import { newSection, render } from './document.js';

/** The network list of trunk addresses, as `apply-inbound-acl` names it. */
export const TRUNK_ACL = 'trunks';

/** Resolves a host name to its addresses (IPv4 and IPv6); rejects when it cannot. */
export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** Why a trunk's host is left out of the list, for the log. */
export interface Unresolved {
  host: string;
  trunkId: string;
  error: string;
}

/**
 * The addresses of `gateways` (every active trunk of every active tenant, `listActiveGateways`):
 * a host that is an address as it is, a host name resolved now with `resolve`; one that does not
 * resolve is left out and reported to `onUnresolved`.
 * @returns distinct addresses, IPv4 before IPv6, sorted
 */
export async function trunkAddresses(
  gateways: Array<Pick<GatewayRow, 'id' | 'host'>>,
  resolve: Resolver,
  onUnresolved: (u: Unresolved) => void,
): Promise<string[]> {
  const hosts = new Map<string, string>();
  for (const g of gateways) if (!hosts.has(g.host)) hosts.set(g.host, g.id);
  const resolved = await Promise.all(
    [...hosts].map(async ([host, trunkId]) => {
      if (ipaddr.isValid(host)) return [host];
      try {
        return await resolve(host);
      } catch (err) {
        onUnresolved({ host, trunkId, error: err instanceof Error ? err.message : String(err) });
        return [];
      }
    }),
  );
  const addresses = new Set(resolved.flat().map((a) => ipaddr.process(a).toString()));
  return [...addresses].sort((a, b) => Number(a.includes(':')) - Number(b.includes(':')) || a.localeCompare(b));
}

/**
 * Renders `acl.conf`: the list `trunks`, default deny, one `allow` node (a /32 or /128) per
 * address. FreeSWITCH keeps a list only once it has a node, and treats an unknown list as denying
 * every address, so with no trunk every inbound call is refused too.
 */
export function renderAcl(addresses: string[]): string {
  const { doc, section } = newSection('configuration');
  const list = section
    .ele('configuration', { name: 'acl.conf', description: 'Switchplane network lists' })
    .ele('network-lists')
    .ele('list', { name: TRUNK_ACL, default: 'deny' });
  for (const address of addresses) list.ele('node', { type: 'allow', cidr: `${address}/${address.includes(':') ? 128 : 32}` });
  return render(doc);
}

/** Answers `acl.conf` for `gateways` (see `trunkAddresses`). */
export async function answerAcl(
  gateways: Array<Pick<GatewayRow, 'id' | 'host'>>,
  resolve: Resolver,
  onUnresolved: (u: Unresolved) => void,
): Promise<string> {
  return renderAcl(await trunkAddresses(gateways, resolve, onUnresolved));
}
