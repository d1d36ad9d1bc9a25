/**
 * The FreeSWITCH nodes of `ESL_NODES`, one `EslConnection` each, and the commands every node must
 * get (configuration reloads). A node that is down, or fails a command, keeps its commands in an
 * outbox that is replayed in order when it connects again, so a reload is not lost to a restart
 * or a network blip. The outbox is bounded: past `OUTBOX_LIMIT` commands it is replaced by a full
 * user-cache flush and a gateway rescan, which cover any lost `xml_flush_cache` and new gateway.
 *
 * The set of nodes changes while running: the nodes of `config.nodes` are there from the start,
 * and `add`/`remove` open and close others (the node leases of src/esl/node-ownership.ts: an
 * instance holds the event sockets of the nodes it owns, and only those). `added` and `removed`
 * tell listeners (the controller attaches its handlers to every added link).
 */
import { EventEmitter } from 'node:events';
import type { Config } from '../config.js';
import { sofiaRescan, xmlFlushCache } from '../freeswitch/commands.js';
import { EslConnection, type EslHealth } from './connection.js';

const OUTBOX_LIMIT = 1000;
const CATCH_UP = [xmlFlushCache(), sofiaRescan()];

/**
 * What a link subscribes to when no controller says more (src/esl/controller.ts adds what its
 * handlers take): BACKGROUND_JOB carries bgapi's answers (modesl subscribes to it too), HEARTBEAT
 * (every 20 s) shows a live link. mod_event_socket drops a listener that falls behind, so a link
 * takes nothing else.
 */
export const BASE_EVENTS: readonly string[] = ['BACKGROUND_JOB', 'HEARTBEAT'];

interface Node {
  name: string;
  conn: EslConnection;
  outbox: string[];
  flushing: Promise<void> | null;
}

type NodesConfig = Omit<Readonly<Config>['esl'], 'reconnectMaxMs' | 'leaseMs'> & { reconnectMaxMs?: number };

/** A node to connect to: `password` defaults to the configured one (ESL_PASSWORD). */
export interface NodeAddress {
  name: string;
  host: string;
  port: number;
  password?: string;
}

export class EslNodes extends EventEmitter<{ added: [EslConnection]; removed: [name: string] }> {
  private built: Map<string, Node> | undefined;
  private events: readonly string[] = BASE_EVENTS;
  private started = false;
  /** Sessions each node can still take (its last HEARTBEAT), for `leastLoaded`. */
  private readonly free = new Map<string, number>();

  /** @param backoff reconnect delays, milliseconds (default 500 ms to `config.reconnectMaxMs`, else 30 s) */
  constructor(
    private readonly config: NodesConfig,
    private readonly onError: (err: unknown, node: string, command: string) => void,
    private readonly backoff?: { initialMs: number; maxMs: number },
  ) {
    super();
  }

  /**
   * Sets what every link subscribes to (entries as EslConnectionOptions `events`, e.g.
   * `['CHANNEL_CREATE', 'CUSTOM sofia::register']`).
   * @throws once the links exist: call it before anything else (the controller does, when it is made)
   */
  subscribe(events: readonly string[]): void {
    if (this.built) throw new Error('the ESL subscription is set before the links are made');
    this.events = events;
  }

  /** The links, made at first use with the subscription set by then. */
  private get map(): Map<string, Node> {
    this.built ??= new Map(this.config.nodes.map((n) => [n.name, this.make(n)]));
    return this.built;
  }

  private get nodes(): Node[] {
    return [...this.map.values()];
  }

  private make(n: NodeAddress): Node {
    const backoff = this.backoff ?? { initialMs: 500, maxMs: this.config.reconnectMaxMs ?? 30000 };
    const conn = new EslConnection({ name: n.name, host: n.host, port: n.port, password: n.password ?? this.config.password, events: [...this.events], backoff });
    const node: Node = { name: n.name, conn, outbox: [], flushing: null };
    conn.on('connected', () => this.flush(node));
    return node;
  }

  get connections(): EslConnection[] {
    return this.nodes.map((n) => n.conn);
  }

  /** The connection to the node named `name`, if this process holds it. */
  node(name: string): EslConnection | undefined {
    return this.map.get(name)?.conn;
  }

  /**
   * Where a new call goes: of the connected nodes, the one with the most free sessions
   * (Max-Sessions − Session-Count of its last HEARTBEAT, `setFreeSessions`); a node not heard from
   * yet counts as having none; ties go to the earlier node.
   */
  leastLoaded(): EslConnection | undefined {
    let best: { conn: EslConnection; free: number } | undefined;
    for (const n of this.nodes) {
      if (!n.conn.health().connected) continue;
      const free = this.free.get(n.name) ?? -1;
      if (!best || free > best.free) best = { conn: n.conn, free };
    }
    return best?.conn;
  }

  /** Records what node `name` can still take (sessions), from its HEARTBEAT. */
  setFreeSessions(name: string, free: number): void {
    this.free.set(name, free);
  }

  /**
   * Opens the event socket of node `n` (started at once if `start` was called), or does nothing
   * when it is open already. With `catchUp`, a full user-cache flush and a gateway rescan are
   * queued first (changes made while no instance held the node).
   */
  add(n: NodeAddress, opts: { catchUp?: boolean } = {}): EslConnection {
    const existing = this.node(n.name);
    if (existing) return existing;
    const node = this.make(n);
    if (opts.catchUp) node.outbox.push(...CATCH_UP);
    this.map.set(n.name, node);
    this.emit('added', node.conn);
    if (this.started) node.conn.start();
    return node.conn;
  }

  /** Closes node `name`'s event socket at once and forgets it (its queued commands too). */
  async remove(name: string): Promise<void> {
    const node = this.built?.get(name);
    if (!node) return;
    this.built!.delete(name);
    this.free.delete(name);
    const closed = node.conn.close();
    this.emit('removed', name);
    await closed;
  }

  start(): void {
    this.started = true;
    for (const n of this.nodes) n.conn.start();
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.conn.close()));
  }

  health(): Array<EslHealth & { pendingCommands: number }> {
    return this.nodes.map((n) => ({ ...n.conn.health(), pendingCommands: n.outbox.length }));
  }

  /**
   * Queues `command` (an `api` command) for every node and sends what each connected node has
   * queued. Resolves once connected nodes have answered; never rejects (failures stay queued and
   * are reported through `onError`).
   */
  async send(command: string): Promise<void> {
    for (const node of this.nodes) {
      node.outbox.push(command);
      if (node.outbox.length > OUTBOX_LIMIT) node.outbox.splice(0, node.outbox.length, ...CATCH_UP);
    }
    await Promise.all(this.nodes.map((n) => this.flush(n)));
  }

  /** Sends a node's outbox in order; stops at the first failure, keeping the rest. */
  private flush(node: Node): Promise<void> {
    node.flushing ??= (async () => {
      while (node.outbox.length > 0 && node.conn.health().connected) {
        const command = node.outbox[0]!;
        try {
          await node.conn.api(command);
        } catch (err) {
          // `-ERR` from FreeSWITCH (e.g. killgw of a gateway it never loaded) is final; a lost link is not.
          if (node.conn.health().connected) node.outbox.shift();
          this.onError(err, node.conn.health().name, command);
          if (!node.conn.health().connected) break;
          continue;
        }
        node.outbox.shift();
      }
    })().finally(() => (node.flushing = null));
    return node.flushing;
  }
}
