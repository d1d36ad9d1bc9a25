/**
 * Call control over the event socket: click-to-call (its originate: src/esl/calls.ts), hangup and
 * blind transfer, and the state of a tenant's calls as the ChannelTracker sees them.
 *
 * originate goes by bgapi only (it blocks until the phone answers or fails); its BACKGROUND_JOB
 * body is `+OK <uuid>` (the phone answered) or `-ERR <CAUSE>` (USER_NOT_REGISTERED, NO_ANSWER,
 * ...): the call failed with that hangup cause.
 *
 * States: `originating` (bgapi sent) → `ringing` (the A leg exists) → `answered` (the phone
 * answered) → `bridged` (connected to the destination) → `ended` (hung up after answering) or
 * `failed` (never answered, or `-ERR`), with the Hangup-Cause. Calls not placed here (a phone's
 * own call, a call from a trunk) are the A legs the tracker holds, with their channel's state,
 * until they hang up. Placed calls are remembered for `keepEnded` calls after they end.
 *
 * hangup: `uuid_kill <uuid>` (NORMAL_CLEARING) on the node holding the call. transfer (blind,
 * mod_commands.c transfer_function): a call from elsewhere moves its A leg, the caller:
 * `uuid_transfer <uuid> <extension> XML <context>`; a click-to-call moves its far party, the
 * destination bridged to the A leg: `uuid_transfer <uuid> -bleg <extension> XML <context>`, and
 * the extension's phone then hangs up (`hangup_after_bridge`). Every method finds only the given
 * tenant's calls: another tenant's call id is not found.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { LRUCache } from 'lru-cache';
import { tenantContext } from '../domain/tenants.js';
import { EXTENSION_RING_SECONDS } from '../freeswitch/vocabulary.js';
import { CallChannel } from './call-channel.js';
import { CallError, originateCommand, type Call, type CallExtension, type CallState, type CallTenant } from './calls.js';
import type { Channel, ChannelTracker } from './channels.js';
import type { EslNodes } from './nodes.js';


interface Placed {
  callId: string;
  tenantId: string;
  node: string;
  extension: string;
  destination: string;
  state: CallState;
  hangupCause: string | null;
  createdAt: Date;
  answeredAt: Date | null;
  endedAt: Date | null;
  /** The BACKGROUND_JOB was lost with the link: the next reconcile of the node decides. */
  jobLost: boolean;
}

const ORDER: Record<CallState, number> = { originating: 0, ringing: 1, answered: 2, bridged: 3, ended: 4, failed: 4 };
const FROM_CHANNEL = { ringing: 'ringing', early: 'ringing', answered: 'answered', bridged: 'bridged' } as const;
const DESTINATION = /^\+?[0-9]{2,15}$/;
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export interface CallControlDeps {
  nodes: EslNodes;
  channels: ChannelTracker;
  /** Seconds the extension's phone rings (default EXTENSION_RING_SECONDS, as the dialplan). */
  ringSeconds?: number;
  /** Ended placed calls kept for `get` (default 10,000). */
  keepEnded?: number;
}

/**
 * Emits `ended` once for every call placed here, when it is `ended` or `failed`, and `changed`
 * with a tenant id whenever one of that tenant's calls started, changed state or ended (null:
 * a node's calls were reconciled, any tenant's may have changed).
 */
export class CallControl extends EventEmitter<{ ended: [Call]; changed: [string | null] }> {
  private readonly live = new Map<string, Placed>();
  private readonly ended: LRUCache<string, Placed>;

  constructor(private readonly deps: CallControlDeps) {
    super();
    this.ended = new LRUCache({ max: deps.keepEnded ?? 10_000 });
    deps.channels.on('channel', (c) => {
      this.advance(this.live.get(c.uuid), FROM_CHANNEL[c.state], c.answeredAt);
      if (c.tenantId) this.emit('changed', c.tenantId);
    });
    deps.channels.on('hangup', (c, cause) => {
      const placed = this.live.get(c.uuid);
      if (placed) this.finish(placed, (placed.answeredAt ?? c.answeredAt) ? 'ended' : 'failed', cause);
      if (c.tenantId) this.emit('changed', c.tenantId);
    });
    deps.channels.on('reconciled', (node) => {
      for (const p of this.live.values()) if (p.node === node && p.jobLost && !deps.channels.channel(p.callId)) this.finish(p, 'failed', null);
      this.emit('changed', null);
    });
  }

  /**
   * Rings `from`'s phone, then routes `destination` in the tenant's dialplan, on node `node` when
   * given and connected, else on the connected node with the most free sessions
   * (EslNodes.leastLoaded); resolves once FreeSWITCH took the bgapi, with the call `originating`.
   * @param callId the A leg's Unique-ID to use (default a new random UUID), e.g. one chosen and
   *   recorded before originating
   * @param node the node chosen over the fleet (src/domain/call-placement.ts), by name
   * @throws CallError `esl_unavailable` (no node connected, or the node did not take it),
   *   `conflict` (tenant not active, or `callId` is being placed already), `invalid_extension`
   */
  async originate(tenant: CallTenant, from: CallExtension, destination: string, callId: string = randomUUID(), node?: string): Promise<Call> {
    if (tenant.status !== 'active') throw new CallError('conflict', `the customer is ${tenant.status}`);
    this.checkExtension(tenant, from);
    if (!DESTINATION.test(destination)) throw new Error(`originate: destination ${destination} is not digits`);
    if (this.live.has(callId)) throw new CallError('conflict', `call ${callId} is being placed already`);
    const chosen = node === undefined ? undefined : this.deps.nodes.node(node);
    const conn = chosen?.health().connected ? chosen : this.deps.nodes.leastLoaded();
    if (!conn) throw new CallError('esl_unavailable', 'no FreeSWITCH event socket is connected');
    const placed: Placed = {
      callId, tenantId: tenant.id, node: conn.health().name, extension: from.extension, destination,
      state: 'originating', hangupCause: null, createdAt: new Date(), answeredAt: null, endedAt: null, jobLost: false,
    };
    this.live.set(placed.callId, placed);
    this.emit('changed', placed.tenantId);
    const ringSeconds = this.deps.ringSeconds ?? EXTENSION_RING_SECONDS;
    let result: Promise<string>;
    try {
      ({ result } = await conn.bgapi(originateCommand({ callId: placed.callId, tenant, from, destination, ringSeconds })));
    } catch (err) {
      this.live.delete(placed.callId);
      this.emit('changed', placed.tenantId);
      throw new CallError('esl_unavailable', `FreeSWITCH node ${placed.node} did not take the originate: ${messageOf(err)}`);
    }
    result.then(
      () => this.advance(placed, 'answered', null),
      (err: unknown) => {
        const cause = /-ERR\s+([A-Z_]+)\s*$/.exec(messageOf(err))?.[1];
        if (cause) this.finish(placed, 'failed', cause);
        else placed.jobLost = true;
      },
    );
    return this.view(placed);
  }

  /** The tenant's call `callId`: placed here (live or recently ended), or a live A leg. */
  get(tenantId: string, callId: string): Call | undefined {
    const id = callId.toLowerCase();
    const placed = this.live.get(id) ?? this.ended.get(id);
    if (placed) return placed.tenantId === tenantId ? this.view(placed) : undefined;
    const channel = this.deps.channels.channel(id);
    return channel && channel.tenantId === tenantId && channel.originator === null ? this.channelCall(channel) : undefined;
  }

  /** The tenant's live calls: its A legs, then placed calls whose A leg does not exist yet. */
  active(tenantId: string): Call[] {
    const calls = this.deps.channels.aLegs(tenantId).map((c) => {
      const placed = this.live.get(c.uuid);
      return placed ? this.view(placed) : this.channelCall(c);
    });
    for (const p of this.live.values()) if (p.tenantId === tenantId && !this.deps.channels.channel(p.callId)) calls.push(this.view(p));
    return calls;
  }

  /**
   * Hangs the call up (`uuid_kill`, NORMAL_CLEARING); the state follows from CHANNEL_HANGUP_COMPLETE.
   * @throws CallError `not_found`, `conflict` (ended, or FreeSWITCH has no such channel), `esl_unavailable`
   */
  async hangup(tenantId: string, callId: string): Promise<Call> {
    const call = this.liveCall(tenantId, callId);
    await this.command(call, (channel) => channel.hangup());
    return this.get(tenantId, call.callId) ?? call;
  }

  /**
   * Blind-transfers the call to `to`, an active extension of the tenant, through the tenant's context.
   * @throws CallError `not_found`, `invalid_extension`, `conflict` (ended, a click-to-call not
   *   bridged yet, or FreeSWITCH refused), `esl_unavailable`
   */
  async transfer(tenant: CallTenant, callId: string, to: CallExtension): Promise<Call> {
    const call = this.liveCall(tenant.id, callId);
    this.checkExtension(tenant, to);
    const bleg = this.live.has(call.callId);
    if (bleg && call.state !== 'bridged') throw new CallError('conflict', `call ${call.callId} is not connected to its destination yet (${call.state})`);
    await this.command(call, (channel) => channel.transfer(to.extension, tenantContext(tenant), { bleg }));
    return this.get(tenant.id, call.callId) ?? call;
  }

  private checkExtension(tenant: CallTenant, ext: CallExtension): void {
    if (ext.tenant_id !== tenant.id) throw new CallError('invalid_extension', `extension ${ext.extension} is not this customer's`);
    if (ext.status !== 'active') throw new CallError('invalid_extension', `extension ${ext.extension} is ${ext.status}`);
  }

  private liveCall(tenantId: string, callId: string): Call {
    const call = this.get(tenantId, callId);
    if (!call) throw new CallError('not_found', 'call not found');
    if (call.endedAt) throw new CallError('conflict', `call ${call.callId} has ended (${call.hangupCause ?? 'cause unknown'})`);
    return call;
  }

  /** Runs `fn` on the call's A leg; FreeSWITCH's refusal is a `conflict`, a down link `esl_unavailable`. */
  private async command(call: Call, fn: (channel: CallChannel) => Promise<void>): Promise<void> {
    const conn = this.deps.nodes.node(call.node);
    if (!conn?.health().connected) throw new CallError('esl_unavailable', `FreeSWITCH node ${call.node} is not connected`);
    try {
      await fn(new CallChannel(call.node, call.callId, conn));
    } catch (err) {
      throw new CallError(conn.health().connected ? 'conflict' : 'esl_unavailable', messageOf(err));
    }
  }

  private advance(placed: Placed | undefined, state: CallState, answeredAt: Date | null): void {
    if (!placed || !this.live.has(placed.callId) || ORDER[state] <= ORDER[placed.state]) return;
    placed.state = state;
    if (ORDER[state] >= ORDER.answered) placed.answeredAt ??= answeredAt ?? new Date();
    this.emit('changed', placed.tenantId);
  }

  private finish(placed: Placed, state: 'ended' | 'failed', cause: string | null): void {
    if (!this.live.delete(placed.callId)) return;
    Object.assign(placed, { state, hangupCause: cause, endedAt: new Date() });
    this.ended.set(placed.callId, placed);
    this.emit('ended', this.view(placed));
    this.emit('changed', placed.tenantId);
  }

  /** The `Channel-Name`s of the call's live legs: its A leg and the leg bridged to it, each when known. */
  legNames(call: Call): string[] {
    const other = call.otherLeg ? this.deps.channels.channel(call.otherLeg)?.name : undefined;
    return [call.channel, other].filter((n): n is string => typeof n === 'string');
  }

  private channelCall(c: Readonly<Channel>): Call {
    const other = c.otherLeg ? this.deps.channels.channel(c.otherLeg) : undefined;
    return {
      callId: c.uuid, state: FROM_CHANNEL[c.state], direction: c.direction, extension: null, callerNumber: c.callerNumber,
      destination: c.destination, node: c.node, channel: c.name, trunkId: c.trunkId ?? other?.trunkId ?? null, otherLeg: c.otherLeg,
      hangupCause: null, createdAt: c.createdAt, answeredAt: c.answeredAt, endedAt: null, stale: c.stale,
    };
  }

  private view(p: Placed): Call {
    const channel = this.live.has(p.callId) ? this.deps.channels.channel(p.callId) : undefined;
    const legs = channel ? this.channelCall(channel) : { direction: 'outbound' as const, channel: null, trunkId: null, otherLeg: null, stale: false };
    return {
      ...legs, callId: p.callId, state: p.state, extension: p.extension, callerNumber: p.extension, destination: p.destination,
      node: p.node, hangupCause: p.hangupCause, createdAt: p.createdAt, answeredAt: p.answeredAt, endedAt: p.endedAt,
    };
  }
}
