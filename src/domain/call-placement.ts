/**
 * Where a new call goes over the whole fleet: the FreeSWITCH nodes held by a live instance
 * (a live lease, its owner announced live), ranked by their last HEARTBEAT (src/esl/heartbeats.ts
 * stores it on the node's record): a node heard from within HEARTBEAT_STALE_MS first, the one
 * with the most free sessions (Max-Sessions − Session-Count, as drachtio-fsmrf's MediaServer
 * picks) first among those, ties to the higher Idle-CPU, then the name. Times by the database's
 * clock (`now()`), as the operator role.
 */
import { sql } from 'kysely';
import type { Store } from '../db/store.js';
import { HEARTBEAT_STALE_MS } from './freeswitch-nodes.js';

/** A node a call may be placed on. */
export interface PlacementCandidate {
  /** freeswitch_nodes.name */
  node: string;
  /** The instance holding its event socket (switchplane_instances.id). */
  owner: string;
  /** The owner's PEER_URL; null when it gave none. */
  url: string | null;
  /** Its last HEARTBEAT is younger than HEARTBEAT_STALE_MS, and gave Max-Sessions and Session-Count. */
  fresh: boolean;
  /** Max-Sessions − Session-Count of that HEARTBEAT (at least 0); null when not fresh. */
  freeSessions: number | null;
}

/** The enabled nodes held by live instances, best placement first (see the module comment). */
export async function placementCandidates(store: Store): Promise<PlacementCandidate[]> {
  const fresh = sql<boolean>`coalesce(n.heartbeat_at > now() - ${HEARTBEAT_STALE_MS}::integer * interval '1 millisecond' and n.max_sessions is not null and n.session_count is not null, false)`;
  const rows = await store.withOperator((trx) =>
    trx
      .selectFrom('freeswitch_nodes as n')
      .innerJoin('node_leases as l', 'l.node_id', 'n.id')
      .innerJoin('switchplane_instances as i', 'i.id', 'l.owner')
      .select([
        'n.name as node', 'l.owner as owner', 'i.url as url', fresh.as('fresh'),
        sql<number | null>`case when ${fresh} then greatest(0, n.max_sessions - n.session_count) end`.as('freeSessions'),
      ])
      .where('n.enabled', '=', true)
      .where('l.expires_at', '>=', sql<Date>`now()`)
      .where('i.expires_at', '>=', sql<Date>`now()`)
      .orderBy(sql`${fresh} desc`)
      .orderBy(sql`case when ${fresh} then greatest(0, n.max_sessions - n.session_count) end desc nulls last`)
      .orderBy(sql`n.idle_cpu desc nulls last`)
      .orderBy('n.name')
      .execute(),
  );
  return rows.map((r) => ({ ...r, freeSessions: r.freeSessions === null ? null : Number(r.freeSessions) }));
}
