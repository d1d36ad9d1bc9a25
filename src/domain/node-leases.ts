/**
 * Instances and node leases (sql/025_node_leases.sql), every time by the database's clock
 * (`now()`), so the instances' own clocks never matter. Run as the operator role. Durations: ms.
 */
import { sql } from 'kysely';
import type { Store } from '../db/store.js';

const later = (ms: number) => sql<Date>`now() + ${ms}::integer * interval '1 millisecond'`;

/** Instance rows gone quiet for this long are removed (an instance killed without stopping). */
const FORGET_INSTANCES_MS = 3_600_000;

/** One enabled node as the lease loop sees it. */
export interface LeaseSlot {
  nodeId: string;
  owner: string | null;
  /** The lease's owner is `owner` and it has not expired. */
  held: boolean;
  /** Milliseconds since the lease expired (0 when held or never taken). */
  expiredForMs: number;
}

/** What every instance sees at one moment: the enabled nodes' leases and the live instances. */
export interface LeaseView {
  slots: LeaseSlot[];
  /** The ids of the instances whose announcement has not expired. */
  liveInstances: string[];
}

/**
 * Announces (or keeps announcing) instance `id`, live for `leaseMs` from now and reached by the
 * other instances at `url` (PEER_URL; undefined: not reachable, never forwarded to), and forgets
 * instances silent for an hour.
 */
export async function announceInstance(store: Store, id: string, leaseMs: number, url?: string): Promise<void> {
  await store.withOperator(async (trx) => {
    await trx
      .insertInto('switchplane_instances')
      .values({ id, expires_at: later(leaseMs), url: url ?? null })
      .onConflict((oc) => oc.column('id').doUpdateSet({ heartbeat_at: sql`now()`, expires_at: later(leaseMs), url: url ?? null }))
      .execute();
    await trx.deleteFrom('switchplane_instances').where('expires_at', '<', sql<Date>`now() - ${FORGET_INSTANCES_MS}::integer * interval '1 millisecond'`).execute();
  });
}

/** Removes instance `id` and releases every lease it holds (a graceful stop). */
export async function retireInstance(store: Store, id: string): Promise<void> {
  await store.withOperator(async (trx) => {
    await trx.deleteFrom('node_leases').where('owner', '=', id).execute();
    await trx.deleteFrom('switchplane_instances').where('id', '=', id).execute();
  });
}

/**
 * Extends the leases of `nodeIds` that `owner` still holds to `leaseMs` from now; returns the node
 * ids renewed (the others are lost). A lease of `owner` not listed (its socket was closed when the
 * lease ran out locally) is left to expire, or to be taken again by `takeLease`.
 */
export async function renewLeases(store: Store, owner: string, nodeIds: readonly string[], leaseMs: number): Promise<Set<string>> {
  if (nodeIds.length === 0) return new Set();
  const rows = await store.withOperator((trx) =>
    trx.updateTable('node_leases').set({ expires_at: later(leaseMs) }).where('owner', '=', owner).where('node_id', 'in', nodeIds).returning('node_id').execute(),
  );
  return new Set(rows.map((r) => r.node_id));
}

/**
 * Takes node `nodeId`'s lease for `owner` if nobody holds it, it expired, or `owner` holds it
 * already: one statement (insert, or update where `expires_at < now()`), so of two instances
 * racing only one gets it.
 * @returns whether `owner` holds it now
 */
export async function takeLease(store: Store, nodeId: string, owner: string, leaseMs: number): Promise<boolean> {
  const row = await store.withOperator((trx) =>
    trx
      .insertInto('node_leases')
      .values({ node_id: nodeId, owner, expires_at: later(leaseMs) })
      .onConflict((oc) =>
        oc.column('node_id').doUpdateSet({ owner, acquired_at: sql`now()`, expires_at: later(leaseMs) }).where((eb) => eb.or([eb('node_leases.expires_at', '<', sql<Date>`now()`), eb('node_leases.owner', '=', owner)])),
      )
      .returning('owner')
      .executeTakeFirst(),
  );
  return row?.owner === owner;
}

/** Gives node `nodeId`'s lease up, if `owner` holds it, so another instance may take it at once. */
export async function releaseLease(store: Store, nodeId: string, owner: string): Promise<void> {
  await store.withOperator((trx) => trx.deleteFrom('node_leases').where('node_id', '=', nodeId).where('owner', '=', owner).execute());
}

/** The enabled nodes' leases and the number of live instances, in one transaction. */
export function leaseView(store: Store): Promise<LeaseView> {
  return store.withOperator(async (trx) => {
    const slots = await trx
      .selectFrom('freeswitch_nodes as n')
      .leftJoin('node_leases as l', 'l.node_id', 'n.id')
      .select([
        'n.id as nodeId',
        'l.owner as owner',
        sql<boolean>`coalesce(l.expires_at >= now(), false)`.as('held'),
        sql<number>`coalesce(greatest(0, extract(epoch from now() - l.expires_at) * 1000), 0)::float8`.as('expiredForMs'),
      ])
      .where('n.enabled', '=', true)
      .orderBy('n.name')
      .execute();
    const live = await trx.selectFrom('switchplane_instances').select('id').where('expires_at', '>=', sql<Date>`now()`).execute();
    return { slots: slots.map((s) => ({ ...s, expiredForMs: Number(s.expiredForMs) })), liveInstances: live.map((l) => l.id) };
  });
}
