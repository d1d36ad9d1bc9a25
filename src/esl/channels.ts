/**
 * The live channels of every FreeSWITCH node, from the channel events switch_channel.c fires
 * (each carries the channel's headers and variables, switch_channel_event_set_data):
 * - CHANNEL_CREATE adds a channel (`ringing`); CHANNEL_PROGRESS (180) keeps it ringing,
 *   CHANNEL_PROGRESS_MEDIA (183) makes it `early`, CHANNEL_ANSWER `answered`; CHANNEL_BRIDGE,
 *   fired once on the A leg with `Bridge-A-Unique-ID` / `Bridge-B-Unique-ID`, makes both legs
 *   `bridged`; CHANNEL_HANGUP_COMPLETE removes it with its `Hangup-Cause`. Any event of a channel
 *   not seen yet (it started before the link came up) adds it. States never go back, except that
 *   a bridged channel whose other leg ended is `answered` again.
 * - Tenant, trunk and legs: src/esl/channel.ts.
 *
 * The number of channels per trunk is written to `trunks.current_channels`
 * (src/domain/channel-counts.ts): changed trunks are collected and written together
 * `countDelayMs` after the first change, one transaction at a time, never from `handle()` itself;
 * a failed write is retried until it lands (src/db/retry-until-stored.ts, `retry`), each attempt
 * with the latest counts. The first reconcile also sets every other trunk to 0, which clears
 * counts left by an earlier process.
 *
 * When a node's link comes up, its channels are reconciled: `api show channels as json`
 * (mod_commands.c show_function: `{"row_count":N,"rows":[{"uuid":...,"direction":...,
 * "created_epoch":...,"name":...,"state":...,"cid_num":...,"dest":...,"callstate":...,
 * "accountcode":...},...]}`, or `{"row_count": 0}` without `rows` when there are none) lists the
 * node's channels. Channels kept from before the link was lost that FreeSWITCH no longer lists
 * end (cause null); listed channels that are unknown or stale are read with
 * `api uuid_dump <uuid> json` (a CHANNEL_DATA event with every variable, parsed like any other
 * event). A lost link keeps the node's channels, marked `stale`, until then.
 */
import { EventEmitter } from 'node:events';
import { retryUntilStored } from '../db/retry-until-stored.js';
import type { Store } from '../db/store.js';
import { writeChannelCounts } from '../domain/channel-counts.js';
import { SHOW_CHANNELS, uuidDump } from '../freeswitch/commands.js';
import type { Metrics } from '../metrics.js';
import { channelFrom, listedChannels, type Channel } from './channel.js';
import { ChannelEvent } from './channel-event.js';
import type { EslConnection, EslEvent } from './connection.js';
import type { EventHandler } from './controller.js';

export type { Channel, ChannelState } from './channel.js';

/** The events the channel tracker takes. */
export const CHANNEL_EVENTS: readonly string[] = ['CHANNEL_CREATE', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_ANSWER', 'CHANNEL_BRIDGE', 'CHANNEL_HANGUP_COMPLETE'];

export interface ChannelTrackerDeps {
  store: Store;
  metrics: Metrics;
  onError: (err: unknown, context: { node: string | null; what: 'reconcile' | 'channel_counts' }) => void;
  /** Wait after the first change before channel counts are written, ms (default 250). */
  countDelayMs?: number;
  /** Backoff between attempts of a failed count write, ms (default 5 s doubling to 30 s). */
  retry?: { minMs: number; maxMs: number };
}

export class ChannelTracker
  extends EventEmitter<{
    /** A channel was added or changed. */
    channel: [Readonly<Channel>];
    /** A channel ended, with its `Hangup-Cause`, or null when a reconcile found it gone. */
    hangup: [Readonly<Channel>, string | null];
    /** A node's channels were reconciled with what it reports. */
    reconciled: [node: string];
    /** Counts written to `trunks.current_channels`: trunk id → channels. */
    counts: [ReadonlyMap<string, number>];
  }>
  implements EventHandler
{
  readonly events = CHANNEL_EVENTS;
  private readonly channels = new Map<string, Channel>();
  /** Bumped on every link change of a node, so a reconcile of an older link stops. */
  private readonly links = new Map<string, number>();
  private readonly dirty = new Set<string>();
  /**
   * Per node, the uuids a CHANNEL_HANGUP_COMPLETE ended while its reconcile runs. FreeSWITCH
   * writes an `api` reply and then flushes queued events, so a `uuid_dump` (or `show channels`)
   * reply can share a TCP read with that channel's hangup; modesl handles both frames before the
   * reconcile's `await` resumes, so the hangup is handled first and the dump must not revive it.
   */
  private readonly endedWhileReconciling = new Map<string, Set<string>>();
  private zeroOthers = false;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | null = null;
  private closed = false;
  private readonly stopping = new AbortController();

  constructor(private readonly deps: ChannelTrackerDeps) {
    super();
  }

  handle(raw: EslEvent, node: string): void {
    const event = ChannelEvent.parse(raw);
    if (!event) return;
    if (event.name === 'CHANNEL_HANGUP_COMPLETE') {
      this.endedWhileReconciling.get(node)?.add(event.uniqueId);
      return this.remove(event.uniqueId, event.hangupCause ?? null);
    }
    const channel = this.upsert(event, node);
    const bLeg = event.name === 'CHANNEL_BRIDGE' ? this.channels.get(event.bridgedTo ?? '') : undefined;
    if (bLeg && bLeg !== channel) {
      bLeg.state = 'bridged';
      bLeg.otherLeg = channel.uuid;
      this.emit('channel', bLeg);
    }
  }

  connected(node: string, conn: EslConnection): void {
    const link = this.nextLink(node);
    this.reconcile(node, conn, link).catch((err) => this.fail(err, node, 'reconcile'));
  }

  disconnected(node: string): void {
    this.nextLink(node);
    for (const c of this.channels.values()) if (c.node === node) c.stale = true;
  }

  channel(uuid: string): Readonly<Channel> | undefined {
    return this.channels.get(uuid);
  }

  /** The tenant's live channels that are the A leg of their call, oldest first. */
  aLegs(tenantId: string): Array<Readonly<Channel>> {
    return [...this.channels.values()].filter((c) => c.tenantId === tenantId && c.originator === null).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** Stops writing counts after writing what is pending. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.stopping.abort();
    await this.writing;
    if (this.dirty.size > 0 || this.zeroOthers) await this.writeCounts().catch((err: unknown) => this.fail(err, null, 'channel_counts'));
  }

  private nextLink(node: string): number {
    const link = (this.links.get(node) ?? 0) + 1;
    this.links.set(node, link);
    return link;
  }

  private upsert(event: ChannelEvent, node: string): Channel {
    const uuid = event.uniqueId;
    const prev = this.channels.get(uuid);
    const channel = channelFrom(event, node, prev);
    if (channel.trunkId !== (prev?.trunkId ?? null)) for (const id of [prev?.trunkId, channel.trunkId]) if (id) this.countChanged(id);
    const kept = prev ? Object.assign(prev, channel) : channel;
    this.channels.set(uuid, kept);
    this.emit('channel', kept);
    return kept;
  }

  private remove(uuid: string, cause: string | null): void {
    const channel = this.channels.get(uuid);
    if (!channel) return;
    this.channels.delete(uuid);
    for (const c of this.channels.values()) {
      if (c.otherLeg === uuid) {
        c.otherLeg = null;
        if (c.state === 'bridged') c.state = 'answered';
      }
      if (c.originator === uuid) c.originator = null; // e.g. a leg transferred away from its A leg
    }
    if (channel.trunkId) this.countChanged(channel.trunkId);
    this.emit('hangup', channel, cause);
  }

  private async reconcile(node: string, conn: EslConnection, link: number): Promise<void> {
    const ended = new Set<string>();
    this.endedWhileReconciling.set(node, ended);
    try {
      await this.reconcileWith(node, conn, link, ended);
    } finally {
      if (this.endedWhileReconciling.get(node) === ended) this.endedWhileReconciling.delete(node);
    }
  }

  /** `reconcile`; `ended` holds the uuids hangup events ended since it started. */
  private async reconcileWith(node: string, conn: EslConnection, link: number, ended: ReadonlySet<string>): Promise<void> {
    const current = () => this.links.get(node) === link;
    const listed = listedChannels(await conn.api(SHOW_CHANNELS));
    if (!current()) return;
    for (const c of [...this.channels.values()]) if (c.node === node && c.stale && !listed.has(c.uuid)) this.remove(c.uuid, null);
    for (const uuid of listed) {
      if (ended.has(uuid)) continue; // its hangup came with (or after) the listing: already removed
      const known = this.channels.get(uuid);
      if (known && !known.stale) continue;
      let dump: ChannelEvent | undefined;
      try {
        dump = ChannelEvent.parse(JSON.parse(await conn.api(uuidDump(uuid))) as EslEvent);
      } catch (err) {
        if (!conn.health().connected) throw err; // else `-ERR No such channel!`: it ended meanwhile
      }
      if (!current()) return;
      if (ended.has(uuid)) continue; // hung up in the same read as the dump's reply, handled before it
      if (dump && dump.uniqueId === uuid && dump.answerState !== 'hangup') this.upsert(dump, node);
      else this.remove(uuid, null);
    }
    this.zeroOthers = true;
    this.scheduleWrite(this.deps.countDelayMs ?? 250);
    this.emit('reconciled', node);
  }

  private countChanged(trunkId: string): void {
    this.dirty.add(trunkId);
    this.scheduleWrite(this.deps.countDelayMs ?? 250);
  }

  private scheduleWrite(delayMs: number): void {
    if (this.timer || this.writing || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const retry = { ...(this.deps.retry ?? { minMs: 5000, maxMs: 30_000 }), signal: this.stopping.signal };
      this.writing = retryUntilStored(() => this.writeCounts(), { ...retry, onFailure: (err) => this.fail(err, null, 'channel_counts') })
        .catch(() => undefined) // reported per attempt; given up only by close()
        .finally(() => {
          this.writing = null;
          if (this.dirty.size > 0 || this.zeroOthers) this.scheduleWrite(this.deps.countDelayMs ?? 250);
        });
    }, delayMs);
  }

  /**
   * Writes the counts of the changed trunks (and zeroes every other trunk after a reconcile).
   * @throws the database's error, the trunks kept as changed for the next attempt
   */
  private async writeCounts(): Promise<void> {
    const zeroOthers = this.zeroOthers;
    const changed = [...this.dirty];
    this.zeroOthers = false;
    this.dirty.clear();
    const counts = new Map<string, number>();
    for (const c of this.channels.values()) if (c.trunkId) counts.set(c.trunkId, (counts.get(c.trunkId) ?? 0) + 1);
    const written = new Map((zeroOthers ? [...new Set([...counts.keys(), ...changed])] : changed).map((id) => [id, counts.get(id) ?? 0]));
    try {
      await this.deps.store.withIngest((trx) => writeChannelCounts(trx, written, zeroOthers));
    } catch (err) {
      for (const id of changed) this.dirty.add(id);
      this.zeroOthers ||= zeroOthers;
      throw err;
    }
    this.emit('counts', written);
  }

  private fail(err: unknown, node: string | null, what: 'reconcile' | 'channel_counts'): void {
    this.deps.metrics.errors.inc({ kind: what === 'reconcile' ? 'channel_reconcile' : 'channel_counts' });
    this.deps.onError(err, { node, what });
  }
}
