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
 * Events the controller subscribes to: only those a handler takes (src/esl/controller.ts), since
 * mod_event_socket drops a listener that falls behind. HEARTBEAT (every 20 s) shows a live link.
 */
export const SUBSCRIBED_EVENTS = [
  'CHANNEL_CREATE', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_ANSWER', 'CHANNEL_BRIDGE', 'CHANNEL_PARK',
  'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB', 'HEARTBEAT',
  'CUSTOM sofia::register sofia::unregister sofia::expire sofia::gateway_state',
  'CUSTOM mod_audio_stream::play mod_audio_stream::error mod_audio_stream::disconnect mod_audio_fork::connect_failed mod_audio_fork::disconnect',
];

interface Node {
  conn: EslConnection;
  outbox: string[];
  flushing: Promise<void> | null;
}

export class EslNodes {
  private readonly nodes: Node[];

  /** @param backoff reconnect delays, milliseconds (default 500 ms to `config.reconnectMaxMs`, else 30 s) */
  constructor(
    config: Omit<Readonly<Config>['esl'], 'reconnectMaxMs'> & { reconnectMaxMs?: number },
    private readonly onError: (err: unknown, node: string, command: string) => void,
    backoff?: { initialMs: number; maxMs: number },
  ) {
    this.nodes = config.nodes.map((n) => ({
      conn: new EslConnection({ name: n.name, host: n.host, port: n.port, password: config.password, events: SUBSCRIBED_EVENTS, backoff: backoff ?? { initialMs: 500, maxMs: config.reconnectMaxMs ?? 30000 } }),
      outbox: [],
      flushing: null,
    }));
    for (const node of this.nodes) node.conn.on('connected', () => this.flush(node));
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
