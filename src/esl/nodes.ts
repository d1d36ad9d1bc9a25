/**
 * The FreeSWITCH nodes of `ESL_NODES`, one `EslConnection` each, and the commands every node must
 * get (configuration reloads). A node that is down, or fails a command, keeps its commands in an
 * outbox that is replayed in order when it connects again, so a reload is not lost to a restart
 * or a network blip. The outbox is bounded: past `OUTBOX_LIMIT` commands it is replaced by a full
 * user-cache flush and a gateway rescan, which cover any lost `xml_flush_cache` and new gateway.
 */
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
  conn: EslConnection;
  outbox: string[];
  flushing: Promise<void> | null;
}

type NodesConfig = Omit<Readonly<Config>['esl'], 'reconnectMaxMs'> & { reconnectMaxMs?: number };

export class EslNodes {
  private built: Node[] | undefined;
  private events: readonly string[] = BASE_EVENTS;

  /** @param backoff reconnect delays, milliseconds (default 500 ms to `config.reconnectMaxMs`, else 30 s) */
  constructor(
    private readonly config: NodesConfig,
    private readonly onError: (err: unknown, node: string, command: string) => void,
    private readonly backoff?: { initialMs: number; maxMs: number },
  ) {}

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
  private get nodes(): Node[] {
    this.built ??= this.config.nodes.map((n) => {
      const backoff = this.backoff ?? { initialMs: 500, maxMs: this.config.reconnectMaxMs ?? 30000 };
      const node: Node = { conn: new EslConnection({ name: n.name, host: n.host, port: n.port, password: this.config.password, events: [...this.events], backoff }), outbox: [], flushing: null };
      node.conn.on('connected', () => this.flush(node));
      return node;
    });
    return this.built;
  }

  get connections(): EslConnection[] {
    return this.nodes.map((n) => n.conn);
  }

  /** The connection to the node named `name` in ESL_NODES, if there is one. */
  node(name: string): EslConnection | undefined {
    return this.nodes.find((n) => n.conn.health().name === name)?.conn;
  }

  /** The first connected node, in ESL_NODES order (where new calls are originated). */
  firstConnected(): EslConnection | undefined {
    return this.nodes.find((n) => n.conn.health().connected)?.conn;
  }

  start(): void {
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
