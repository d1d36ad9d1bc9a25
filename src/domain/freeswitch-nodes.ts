/**
 * FreeSWITCH nodes as records (sql/024_freeswitch_nodes.sql): a name, mod_event_socket's address
 * and password (sealed by the SecretBox, never answered or logged), the node's SIP addresses,
 * whether Switchplane keeps its event socket, and its last HEARTBEAT figures with its owner
 * (src/domain/node-leases.ts). Nodes belong to no tenant: every function runs as the operator
 * role (`store.withOperator`), which the admin API and the node owners use.
 */
import { sql, type Selectable } from 'kysely';
import type { FreeswitchNodesTable } from '../db/schema-nodes.js';
import type { Store } from '../db/store.js';
import { NotFoundError } from './errors.js';
import type { SecretBox } from './secrets.js';

export type FreeswitchNode = Omit<Selectable<FreeswitchNodesTable>, 'esl_password_sealed'>;

/** A node as the API shows it: its record (no password), its owner and whether it is healthy. */
export interface NodeView extends FreeswitchNode {
  /** The instance holding its event socket (switchplane_instances.id), null when none holds it. */
  owner: string | null;
  ownedUntil: Date | null;
}

/** Where to reach a node's event socket, password opened. */
export interface NodeLink {
  id: string;
  name: string;
  host: string;
  port: number;
  password: string;
  /** Changes whenever the address or password does (so an owner reconnects). */
  version: string;
}

export interface NodeInput {
  name: string;
  eslHost: string;
  eslPort: number;
  eslPassword: string;
  sipAddresses?: string[];
  enabled?: boolean;
}

/** A HEARTBEAT event's figures (switch_core.c send_heartbeat). */
export interface HeartbeatFigures {
  sessionCount: number | null;
  sessionPeakMax: number | null;
  maxSessions: number | null;
  /** Percent idle, e.g. 97.63. */
  idleCpu: number | null;
  uptimeSeconds: number | null;
}

/** A node is healthy while its last HEARTBEAT (every 20 s, switch_core.c) is younger than this. */
export const HEARTBEAT_STALE_MS = 60_000;

const PUBLIC_COLUMNS = [
  'n.id', 'n.name', 'n.esl_host', 'n.esl_port', 'n.sip_addresses', 'n.enabled', 'n.session_count', 'n.session_peak_max',
  'n.max_sessions', 'n.idle_cpu', 'n.uptime_seconds', 'n.heartbeat_at', 'n.created_at', 'n.updated_at',
] as const;

/** Every node, by name, with its live lease (an expired one shows as none). */
export function listNodes(store: Store): Promise<NodeView[]> {
  return store.withOperator((trx) =>
    trx
      .selectFrom('freeswitch_nodes as n')
      .leftJoin('node_leases as l', (j) => j.onRef('l.node_id', '=', 'n.id').on('l.expires_at', '>', sql<Date>`now()`))
      .select([...PUBLIC_COLUMNS, 'l.owner as owner', 'l.expires_at as ownedUntil'])
      .orderBy('n.name')
      .execute(),
  );
}

/** @throws NotFoundError `node` */
export async function getNode(store: Store, id: string): Promise<NodeView> {
  const node = (await listNodes(store)).find((n) => n.id === id);
  if (!node) throw new NotFoundError('node');
  return node;
}

/**
 * Registers a node.
 * @throws PostgreSQL unique violation (23505, the API's 409) when the name is taken
 */
export async function createNode(store: Store, secrets: SecretBox, input: NodeInput): Promise<NodeView> {
  const { id } = await store.withOperator((trx) =>
    trx
      .insertInto('freeswitch_nodes')
      .values({
        name: input.name, esl_host: input.eslHost, esl_port: input.eslPort, esl_password_sealed: secrets.seal(input.eslPassword),
        sip_addresses: input.sipAddresses ?? [], enabled: input.enabled ?? true,
      })
      .returning('id')
      .executeTakeFirstOrThrow(),
  );
  return getNode(store, id);
}

/** Changes the given fields. @throws NotFoundError `node`; 23505 when renamed to a taken name */
export async function updateNode(store: Store, secrets: SecretBox, id: string, input: Partial<NodeInput>): Promise<NodeView> {
  const changed = await store.withOperator((trx) =>
    trx
      .updateTable('freeswitch_nodes')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.eslHost !== undefined && { esl_host: input.eslHost }),
        ...(input.eslPort !== undefined && { esl_port: input.eslPort }),
        ...(input.eslPassword !== undefined && { esl_password_sealed: secrets.seal(input.eslPassword) }),
        ...(input.sipAddresses !== undefined && { sip_addresses: input.sipAddresses }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst(),
  );
  if (!changed) throw new NotFoundError('node');
  return getNode(store, id);
}

/** Removes a node (and its lease: its owner closes the socket at its next renewal). @throws NotFoundError `node` */
export async function deleteNode(store: Store, id: string): Promise<void> {
  const gone = await store.withOperator((trx) => trx.deleteFrom('freeswitch_nodes').where('id', '=', id).returning('id').executeTakeFirst());
  if (!gone) throw new NotFoundError('node');
}

/**
 * Registers the nodes of ESL_NODES, all with `password` (ESL_PASSWORD): a new name is added; an
 * existing one whose address or password differs gets this address and password (a record left
 * as it was keeps its sealed value, so its owner need not reconnect); nodes not listed are kept.
 */
export async function seedNodes(store: Store, secrets: SecretBox, nodes: ReadonlyArray<{ name: string; host: string; port: number }>, password: string): Promise<void> {
  if (nodes.length === 0) return;
  await store.withOperator(async (trx) => {
    const stored = await trx.selectFrom('freeswitch_nodes').select(['name', 'esl_host', 'esl_port', 'esl_password_sealed']).where('name', 'in', nodes.map((n) => n.name)).execute();
    for (const n of nodes) {
      const old = stored.find((s) => s.name === n.name);
      if (old && old.esl_host === n.host && old.esl_port === n.port && opensTo(secrets, old.esl_password_sealed, password)) continue;
      const sealed = secrets.seal(password);
      await trx
        .insertInto('freeswitch_nodes')
        .values({ name: n.name, esl_host: n.host, esl_port: n.port, esl_password_sealed: sealed })
        .onConflict((oc) => oc.column('name').doUpdateSet({ esl_host: n.host, esl_port: n.port, esl_password_sealed: sealed, updated_at: sql`now()` }))
        .execute();
    }
  });
}

function opensTo(secrets: SecretBox, sealed: string, plain: string): boolean {
  try {
    return secrets.open(sealed) === plain;
  } catch {
    return false;
  }
}

/** The enabled nodes' event-socket addresses, passwords opened. */
export async function nodeLinks(store: Store, secrets: SecretBox): Promise<NodeLink[]> {
  const rows = await store.withOperator((trx) =>
    trx.selectFrom('freeswitch_nodes').select(['id', 'name', 'esl_host', 'esl_port', 'esl_password_sealed', 'updated_at']).where('enabled', '=', true).orderBy('name').execute(),
  );
  return rows.map((r) => ({
    id: r.id, name: r.name, host: r.esl_host, port: r.esl_port, password: secrets.open(r.esl_password_sealed),
    version: `${r.esl_host}:${r.esl_port}:${r.esl_password_sealed}`,
  }));
}

/** Stores what node `name`'s last HEARTBEAT said, stamped with the database's clock. */
export async function writeHeartbeat(store: Store, name: string, f: HeartbeatFigures): Promise<void> {
  await store.withOperator((trx) =>
    trx
      .updateTable('freeswitch_nodes')
      .set({
        session_count: f.sessionCount, session_peak_max: f.sessionPeakMax, max_sessions: f.maxSessions, idle_cpu: f.idleCpu,
        uptime_seconds: f.uptimeSeconds, heartbeat_at: sql`now()`,
      })
      .where('name', '=', name)
      .execute(),
  );
}

/** Sessions a node can still take (Max-Sessions − Session-Count), null before its first HEARTBEAT. */
export const freeSessions = (n: Pick<FreeswitchNode, 'max_sessions' | 'session_count'>): number | null =>
  n.max_sessions === null || n.session_count === null ? null : Math.max(0, n.max_sessions - n.session_count);

/** Held by a live instance and heard from within HEARTBEAT_STALE_MS of `now`. */
export const isHealthy = (n: NodeView, now: Date): boolean =>
  n.enabled && n.owner !== null && n.heartbeat_at !== null && now.getTime() - n.heartbeat_at.getTime() < HEARTBEAT_STALE_MS;
