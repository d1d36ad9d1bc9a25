/**
 * Commands to any enabled FreeSWITCH node from any instance. Each node's event socket is held by
 * one instance (src/esl/node-ownership.ts), so an instance reaches a node it holds over that
 * socket, and any other node over a short-lived socket of its own: opened with the node record's
 * address and password (src/domain/freeswitch-nodes.ts `nodeLinks`), authenticated, used for
 * `api` commands, and closed once they are done (also on failure and timeout).
 * mod_event_socket.c takes any number of inbound sockets, and one with no subscription gets no
 * events (modesl's own `BACKGROUND_JOB` subscription aside), so a short-lived socket changes
 * nothing for the owner.
 *
 * The nodes are those this instance holds, then the enabled node records it does not hold, by
 * name; the records are read at most once per `cacheMs`. Without records (no `records` given, or
 * none stored) the nodes are those this instance holds: a single instance on its ESL_NODES
 * behaves as when every node was connected to it. A held node whose socket is down is not
 * reached (its owner is reconnecting; a second socket would not fare better). Durations: ms.
 */
import type { Store } from '../db/store.js';
import { nodeLinks, type NodeLink } from '../domain/freeswitch-nodes.js';
import type { SecretBox } from '../domain/secrets.js';
import { EslConnection } from './connection.js';
import type { EslNodes } from './nodes.js';

/** What a caller may do on a node: instant commands (EslConnection.api). */
export type NodeApi = Pick<EslConnection, 'api'>;

/** Node `node` could not be reached: its held socket is down, or a short-lived one could not connect or authenticate. */
export class NodeUnreachableError extends Error {
  constructor(readonly node: string, reason: string) {
    super(`FreeSWITCH node ${node} cannot be reached: ${reason}`);
  }
}

/** No node held by this instance nor any enabled node record has this name. */
export class UnknownNodeError extends Error {
  constructor(readonly node: string) {
    super(`no enabled FreeSWITCH node ${node}`);
  }
}

/** What `fn` gave on one node, or how it failed there (NodeUnreachableError, or `fn`'s error). */
export type NodeOutcome<T> = { node: string; ok: true; value: T } | { node: string; ok: false; error: unknown };

export interface NodeAccessDeps {
  /** The event sockets this instance holds. */
  nodes: Pick<EslNodes, 'connections'>;
  /** The enabled node records and the SecretBox opening their passwords; absent: held nodes only. */
  records?: { store: Store; secrets: SecretBox };
  /** How long the records read are used before being read again (default 5000). */
  cacheMs?: number;
  /** A short-lived socket not connected and authenticated within this fails (default 3000). */
  connectTimeoutMs?: number;
  /** Default timeout of an `api` command on a short-lived socket (default 5000). */
  commandTimeoutMs?: number;
}

type Target = { node: string; held: EslConnection } | { node: string; link: NodeLink };

export class NodeAccess {
  private cached: { at: number; links: Promise<NodeLink[]> } | undefined;

  constructor(private readonly deps: NodeAccessDeps) {}

  /**
   * Runs `fn` on node `name`: over the held socket, or a short-lived one closed once `fn` settles.
   * @throws UnknownNodeError; NodeUnreachableError; what `fn` throws (an `api` command's error:
   *   `-ERR` output, link lost, no answer in time); the database's error reading the records
   */
  async withNode<T>(name: string, fn: (conn: NodeApi, node: string) => Promise<T>): Promise<T> {
    const target = (await this.targets()).find((x) => x.node === name);
    if (!target) throw new UnknownNodeError(name);
    return this.run(target, fn);
  }

  /**
   * Runs `fn` on every node at once (see the module comment for which), each as `withNode`.
   * @returns one outcome per node, held nodes first, then the others by name; [] without nodes
   * @throws only the database's error reading the records
   */
  async everyNode<T>(fn: (conn: NodeApi, node: string) => Promise<T>): Promise<Array<NodeOutcome<T>>> {
    return Promise.all(
      (await this.targets()).map((target) =>
        this.run(target, fn).then(
          (value): NodeOutcome<T> => ({ node: target.node, ok: true, value }),
          (error: unknown): NodeOutcome<T> => ({ node: target.node, ok: false, error }),
        ),
      ),
    );
  }

  private async targets(): Promise<Target[]> {
    const held: Target[] = this.deps.nodes.connections.map((conn) => ({ node: conn.health().name, held: conn }));
    const names = new Set(held.map((h) => h.node));
    const others: Target[] = (await this.links()).filter((l) => !names.has(l.name)).map((link) => ({ node: link.name, link }));
    return [...held, ...others];
  }

  private links(): Promise<NodeLink[]> {
    const { records } = this.deps;
    if (!records) return Promise.resolve([]);
    const now = performance.now();
    if (!this.cached || now - this.cached.at >= (this.deps.cacheMs ?? 5000)) {
      const links = nodeLinks(records.store, records.secrets);
      this.cached = { at: now, links };
      // A failed read is not kept: the next call reads again.
      links.catch(() => {
        if (this.cached?.links === links) this.cached = undefined;
      });
    }
    return this.cached.links;
  }

  private async run<T>(target: Target, fn: (conn: NodeApi, node: string) => Promise<T>): Promise<T> {
    if ('held' in target) {
      const { connected, lastError } = target.held.health();
      if (!connected) throw new NodeUnreachableError(target.node, `the event socket this instance holds is down${lastError ? ` (${lastError})` : ''}`);
      return fn(target.held, target.node);
    }
    const conn = await this.open(target.link);
    const timeoutMs = this.deps.commandTimeoutMs ?? 5000;
    try {
      return await fn({ api: (cmd, opts) => conn.api(cmd, { timeoutMs: opts?.timeoutMs ?? timeoutMs }) }, target.node);
    } finally {
      await conn.close();
    }
  }

  /**
   * A socket to `link`, authenticated, with no subscription, after one attempt (no retry).
   * @throws NodeUnreachableError when refused, not authenticated within connectTimeoutMs, or `-ERR invalid`
   */
  private async open(link: NodeLink): Promise<EslConnection> {
    const timeoutMs = this.deps.connectTimeoutMs ?? 3000;
    // The backoff is never waited for: a failed attempt closes the connection.
    const conn = new EslConnection({
      name: link.name, host: link.host, port: link.port, password: link.password, events: [],
      connectTimeoutMs: timeoutMs, backoff: { initialMs: timeoutMs, maxMs: timeoutMs },
    });
    const outcome = new Promise<Error | null>((resolve) => {
      conn.once('connected', () => resolve(null));
      conn.once('failed', (reason) => resolve(reason));
    });
    conn.start();
    const failure = await outcome;
    if (!failure) return conn;
    await conn.close();
    throw new NodeUnreachableError(link.name, failure.message);
  }
}
