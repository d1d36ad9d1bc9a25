/**
 * One owner per FreeSWITCH node, through the database (sql/025_node_leases.sql): this instance
 * holds the event sockets of the nodes it has a lease on, and only those, so each node's events
 * (CDRs, channels, registrations, AI calls) are handled once and each configuration flush is sent
 * to it once. Every `leaseMs / 3` a pass:
 * 1. announces the instance (switchplane_instances) and renews its leases; a lease not renewed
 *    (another instance took it, the node was deleted) is lost: its socket is closed at once;
 * 2. reads the enabled nodes' leases and the number of live instances; its share is
 *    ceil(nodes / live instances);
 * 3. releases the nodes no longer enabled, the extra ones above its share (a new instance came),
 *    and one node when it holds two or more above the live instance holding fewest (so 4 nodes
 *    on 3 instances are 2, 1, 1, not 2, 2, 0): the socket is closed first, then the lease
 *    deleted, so another may take it at once;
 * 4. takes free or expired leases (src/domain/node-leases.ts `takeLease`, one conditional
 *    statement) up to its share (after giving one up in step 3: up to what it kept, and never
 *    the node just given up, so the instance holding fewest gets it), and beyond it the nodes
 *    whose lease expired more than a lease ago (nobody else took them: instances are missing); a node taken gets its event socket, with
 *    a full user-cache flush and gateway rescan queued (changes made while nobody held it).
 * A pass that cannot reach the database keeps the sockets until the last renewal's lease runs out
 * (by this process's monotonic clock, measured from before the renewal was sent, so never later
 * than the database's), then closes them all: another instance may hold them by then.
 * Durations: ms.
 */
import { EventEmitter } from 'node:events';
import type { Store } from '../db/store.js';
import { nodeLinks, type NodeLink } from '../domain/freeswitch-nodes.js';
import { announceInstance, leaseView, releaseLease, renewLeases, retireInstance, takeLease } from '../domain/node-leases.js';
import type { SecretBox } from '../domain/secrets.js';
import type { Metrics } from '../metrics.js';
import type { EslNodes } from './nodes.js';

export interface NodeOwnershipDeps {
  store: Store;
  secrets: SecretBox;
  nodes: Pick<EslNodes, 'add' | 'remove'>;
  /** Unique per running process: its row in switchplane_instances and the leases' owner. */
  instanceId: string;
  /** How long a lease and an instance announcement last without renewal. */
  leaseMs: number;
  /** Where the other instances reach this one's API (PEER_URL), announced with it. */
  url?: string;
  metrics?: Metrics;
  onError: (err: unknown) => void;
}

interface Owned {
  link: NodeLink;
}

/** Emits `acquired` and `released` (reason `lost`, `share`, `disabled`, `expired`, `stopped`) with the node's name. */
export class NodeOwnership extends EventEmitter<{ acquired: [node: string]; released: [node: string, reason: string] }> {
  private readonly owned = new Map<string, Owned>();
  private timer: NodeJS.Timeout | undefined;
  private guard: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** performance.now() until which the last renewal keeps the leases. */
  private validUntil = 0;

  constructor(private readonly deps: NodeOwnershipDeps) {
    super();
  }

  /** The names of the nodes this instance holds. */
  get nodeNames(): string[] {
    return [...this.owned.values()].map((o) => o.link.name).sort();
  }

  /** Runs a pass now and every `leaseMs / 3` after; resolves once the first pass is done. */
  async start(): Promise<void> {
    const every = Math.max(50, Math.floor(this.deps.leaseMs / 3));
    this.guard = setInterval(() => this.expireIfStale(), Math.max(25, Math.floor(every / 2))).unref();
    const loop = async (): Promise<void> => {
      this.running = this.pass();
      await this.running;
      this.running = null;
      if (!this.stopped) this.timer = setTimeout(() => void loop(), every).unref();
    };
    await loop();
  }

  /** Stops: closes every socket held, releases the leases and removes the instance. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.guard);
    await this.running;
    await Promise.all([...this.owned.keys()].map((id) => this.drop(id, 'stopped')));
    await retireInstance(this.deps.store, this.deps.instanceId).catch(this.deps.onError);
  }

  /** One pass (see the module comment); never rejects. */
  async pass(): Promise<void> {
    const { store, instanceId, leaseMs } = this.deps;
    try {
      await announceInstance(store, instanceId, leaseMs, this.deps.url);
      const sent = performance.now();
      const renewed = await renewLeases(store, instanceId, [...this.owned.keys()], leaseMs);
      this.validUntil = sent + leaseMs;
      for (const id of this.owned.keys()) if (!renewed.has(id)) await this.drop(id, 'lost');
      if (this.stopped) return;
      const [view, links] = await Promise.all([leaseView(store), nodeLinks(store, this.deps.secrets)]);
      const byId = new Map(links.map((l) => [l.id, l]));
      for (const [id, o] of this.owned) {
        const link = byId.get(id);
        if (!link) await this.release(id, 'disabled');
        else if (link.version !== o.link.version) await this.reopen(id, link);
      }
      const share = Math.ceil(view.slots.length / Math.max(1, view.liveInstances.length));
      // Two or more above the instance holding fewest: one node goes, so shares even out.
      const held = new Map(view.liveInstances.map((id) => [id, 0]));
      for (const s of view.slots) if (s.held && s.owner !== null && held.has(s.owner)) held.set(s.owner, held.get(s.owner)! + 1);
      const fewest = Math.min(this.owned.size, ...held.values());
      const keep = this.owned.size - fewest >= 2 ? Math.min(share, this.owned.size - 1) : share;
      const given = new Set([...this.owned.keys()].slice(keep));
      for (const id of given) await this.release(id, 'share');
      // A node given up here is left for the others (the view still shows it as this instance's).
      const free = shuffle(view.slots.filter((s) => (!s.held || s.owner === instanceId) && !this.owned.has(s.nodeId) && !given.has(s.nodeId)));
      for (const slot of free) {
        const orphan = slot.owner !== null && slot.expiredForMs > leaseMs;
        if (this.stopped || (this.owned.size >= keep && !orphan)) continue;
        const link = byId.get(slot.nodeId);
        if (link && (await takeLease(store, slot.nodeId, instanceId, leaseMs))) this.hold(link);
      }
    } catch (err) {
      this.deps.onError(err);
      this.expireIfStale();
    }
  }

  private hold(link: NodeLink): void {
    this.owned.set(link.id, { link });
    this.deps.nodes.add({ name: link.name, host: link.host, port: link.port, password: link.password }, { catchUp: true });
    this.deps.metrics?.nodesOwned.set({ node: link.name }, 1);
    this.emit('acquired', link.name);
  }

  /** The node's address or password changed: reconnect with the new one. */
  private async reopen(id: string, link: NodeLink): Promise<void> {
    await this.deps.nodes.remove(this.owned.get(id)!.link.name);
    this.owned.delete(id);
    this.hold(link);
  }

  /** Closes the socket, then gives the lease up. */
  private async release(id: string, reason: string): Promise<void> {
    await this.drop(id, reason);
    await releaseLease(this.deps.store, id, this.deps.instanceId);
  }

  /** Closes the node's socket and forgets it (the lease is lost, or released by the caller). */
  private async drop(id: string, reason: string): Promise<void> {
    const o = this.owned.get(id);
    if (!o) return;
    this.owned.delete(id);
    this.deps.metrics?.nodesOwned.remove({ node: o.link.name });
    await this.deps.nodes.remove(o.link.name);
    this.emit('released', o.link.name, reason);
  }

  /** Closes every socket once the last renewal's lease has run out. */
  private expireIfStale(): void {
    if (this.owned.size === 0 || performance.now() < this.validUntil) return;
    for (const id of [...this.owned.keys()]) void this.drop(id, 'expired');
  }
}

/** A random order, so instances starting together try different nodes first. */
function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
