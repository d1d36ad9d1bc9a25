/**
 * The other running instances an API request may be forwarded to (src/api/call-forwarding.ts):
 * those announced live (switchplane_instances, sql/025_node_leases.sql) with a URL
 * (sql/026_instance_urls.sql, PEER_URL) that hold at least one live node lease, each with the
 * names of the nodes it holds. Read by the database's clock (`now()`), as the operator role.
 */
import { sql } from 'kysely';
import type { Store } from '../db/store.js';

/** A live instance other than this one, and the FreeSWITCH nodes whose event sockets it holds. */
export interface Peer {
  /** switchplane_instances.id */
  id: string;
  /** Its PEER_URL, the base of its API (no trailing slash). */
  url: string;
  /** The names of the nodes it holds a live lease on, sorted. */
  nodes: string[];
}

/** The live instances other than `selfId` holding a live lease, by id. */
export async function livePeers(store: Store, selfId: string): Promise<Peer[]> {
  const rows = await store.withOperator((trx) =>
    trx
      .selectFrom('switchplane_instances as i')
      .innerJoin('node_leases as l', 'l.owner', 'i.id')
      .innerJoin('freeswitch_nodes as n', 'n.id', 'l.node_id')
      .select(['i.id', 'i.url', sql<string[]>`array_agg(n.name order by n.name)`.as('nodes')])
      .where('i.id', '<>', selfId)
      .where('i.url', 'is not', null)
      .where('i.expires_at', '>=', sql<Date>`now()`)
      .where('l.expires_at', '>=', sql<Date>`now()`)
      .groupBy(['i.id', 'i.url'])
      .orderBy('i.id')
      .execute(),
  );
  return rows.map((r) => ({ id: r.id, url: r.url!, nodes: r.nodes }));
}
