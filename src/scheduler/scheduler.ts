/**
 * The recurring-call scheduler. Every Switchplane instance with ESL_NODES runs one; each
 * occurrence of a recurring call is still called exactly once. A pass (every `intervalMs`
 * milliseconds, the next one `intervalMs` after the previous ended) does, in order:
 *
 * 1. Recover: take over claims whose lease expired (their instance stopped between claiming and
 *    recording the originate, or gave the claim back). For each, ask every enabled FreeSWITCH
 *    node `uuid_exists <call id>` (mod_commands.c: `true` | `false`), over the event socket this
 *    instance holds or a short-lived one (src/esl/node-access.ts), since the old holder may have
 *    placed the call on a node another instance holds. A node that has it: the call was
 *    placed, it is recorded `originated`. Every node saying `false`: wait `cdrSettleMs` (so a
 *    leg that has just ended gets its CDR written) and look for a CDR of the call id; without
 *    one, and with the lease still this instance's, ask every node `uuid_exists` again right
 *    before originating (a call placed meanwhile, e.g. by a late originate of the old holder, is
 *    there now and is recorded `originated`); every node still saying `false`: the call was
 *    never placed, and it is originated now, with the same call id, on this instance's
 *    least-loaded node. A node that cannot be asked leaves the claim to a later pass. A claim
 *    past the grace period is recorded `failed` instead.
 * 2. Claim and originate: rank the fleet's nodes (src/scheduler/fleet-placement.ts: the best
 *    node by HEARTBEAT, as a click-to-call). When another live instance holds the best node,
 *    claim only occurrences already `ownerWaitMs` late (that instance claims the others and
 *    places them on its node); otherwise claim what is due. Claim them (src/domain/
 *    recurring-call-executions.ts claimDue: FOR UPDATE SKIP LOCKED, committed before anything is
 *    sent; missed ones are recorded `skipped`) and originate each through call control exactly as
 *    a click-to-call (src/esl/call-control.ts: the extension's phone rings, then the destination
 *    goes through the tenant's dialplan) on the best node this instance holds (without fresh
 *    HEARTBEATs: its least-loaded node), with the execution's call id as `origination_uuid`.
 *    FreeSWITCH took it: `originated`; refused before sending (extension or tenant not active):
 *    `failed`; no node connected, or the link failed while sending: the claim is given back for
 *    step 1 of the next pass to decide.
 * 3. Outcomes: executions get the disposition of their call id's CDR; a call that failed before
 *    it had a channel (`-ERR USER_NOT_REGISTERED`: no CDR will come) is recorded `failed` with
 *    that cause when call control reports it.
 *
 * Why never twice: an occurrence has one row (unique per recurring call and time) and one call
 * id; it is claimed by one transaction (its row locked, its next run advanced: placement only
 * decides which instance tries first, so rankings read at different times cannot make two
 * claims); only the holder of its lease originates it; a new holder originates again only when no
 * node has the call and no CDR of it exists; and FreeSWITCH refuses a second channel with a
 * Unique-ID in use (switch_core_session.c: "Duplicate UUID!"). The lease must outlast the time an
 * instance takes from claiming to recording the originate (FreeSWITCH answers a bgapi at once).
 * Leases are timed by the database's clock (src/domain/recurring-call-executions.ts): instances
 * whose clocks disagree still agree on when a lease runs out. The schedule (what is due, the
 * grace period, how late an occurrence is) and the recorded times come from `clock`; durations
 * are milliseconds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../db/store.js';
import type { CallControl } from '../esl/call-control.js';
import { CallError, type Call } from '../esl/calls.js';
import type { NodeAccess } from '../esl/node-access.js';
import { uuidExists } from '../freeswitch/commands.js';
import { ownerWaitMs, passPlacement, type PassPlacement } from './fleet-placement.js';
import type { PlacementCandidate } from '../domain/call-placement.js';
import { claimDue, outcomesFromCdrs, recordFailedCall, release, settle, stillHeld, takeOverExpired, withCdr, type Claim, type Occurrence } from '../domain/recurring-call-executions.js';

export type SchedulerStage = 'recover' | 'claim' | 'originate' | 'outcomes';

export interface SchedulerOptions {
  store: Pick<Store, 'withScheduler'>;
  calls: CallControl;
  /** Every enabled FreeSWITCH node, asked `uuid_exists` when a claim is taken over. */
  nodes: Pick<NodeAccess, 'everyNode'>;
  /**
   * The fleet's nodes, best placement first (src/domain/call-placement.ts placementCandidates);
   * without it every claim is placed on this instance's least-loaded node.
   */
  placement?: () => Promise<PlacementCandidate[]>;
  /** Names this instance in claims and audit rows (and node leases: switchplane_instances.id); unique per running process. */
  instanceId: string;
  intervalMs: number;
  leaseMs: number;
  /** An occurrence is originated at most this long after its time; later it is skipped or failed. */
  graceMs: number;
  /** Wait before the second look for a CDR of a taken-over call FreeSWITCH does not have (default 5000). */
  cdrSettleMs?: number;
  /** Most occurrences claimed per transaction (default 100). */
  batchSize?: number;
  clock?: () => Date;
  onError: (err: unknown, context: { stage: SchedulerStage; executionId?: string }) => void;
}

/** Outcomes are looked for in CDRs this long after the claim (no call lasts longer). */
const OUTCOME_WINDOW_MS = 86_400_000;

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private started = false;
  private stopped = false;
  /** Calls this instance is placing or placed, by call id: resolves once the originate is recorded. */
  private readonly placing = new Map<string, Promise<void>>();
  private readonly background = new Set<Promise<void>>();

  constructor(private readonly opts: SchedulerOptions) {
    opts.calls.on('ended', this.onEnded);
  }

  /** Runs a pass now and then every `intervalMs` after the previous one ended. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.loop();
  }

  /** Stops for good: no new pass; resolves once the running pass and pending writes are done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await Promise.all(this.background);
    this.opts.calls.off('ended', this.onEnded);
  }

  /** One pass: recover, claim and originate, outcomes. Never rejects: failures go to `onError`. */
  async tick(): Promise<void> {
    await this.stage('recover', () => this.recover());
    await this.stage('claim', () => this.claimAndOriginate());
    const since = new Date(this.now().getTime() - OUTCOME_WINDOW_MS);
    await this.stage('outcomes', () => this.opts.store.withScheduler((trx) => outcomesFromCdrs(trx, since)));
  }

  private loop(): void {
    this.running = this.tick().finally(() => {
      this.running = null;
      if (!this.stopped) this.timer = setTimeout(() => this.loop(), this.opts.intervalMs).unref();
    });
  }

  private now(): Date {
    return this.opts.clock?.() ?? new Date();
  }

  private claim(): Claim {
    const { instanceId, leaseMs, graceMs } = this.opts;
    return { instanceId, now: this.now(), leaseMs, graceMs, limit: this.opts.batchSize ?? 100 };
  }

  private async stage(stage: SchedulerStage, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.opts.onError(err, { stage });
    }
  }

  /** Claims until nothing is due (a skipped occurrence may leave its next run due at once). */
  private async claimAndOriginate(): Promise<void> {
    const { waitMs, node } = await this.placement();
    for (;;) {
      const claim = this.claim();
      const dueBy = new Date(claim.now.getTime() - waitMs);
      const { occurrences, handled } = await this.opts.store.withScheduler((trx) => claimDue(trx, { ...claim, dueBy }));
      // Claimed occurrences are originated even when stopping: they are due, and theirs to call.
      for (const o of occurrences) await this.originate(o, node);
      if (handled === 0 || this.stopped) return;
    }
  }

  /** This pass's placement (src/scheduler/fleet-placement.ts); the ranking unread: as without one. */
  private async placement(): Promise<PassPlacement> {
    if (!this.opts.placement) return { waitMs: 0 };
    try {
      return passPlacement(await this.opts.placement(), this.opts.instanceId, ownerWaitMs(this.opts));
    } catch (err) {
      this.opts.onError(err, { stage: 'claim' });
      return { waitMs: 0 };
    }
  }

  private async recover(): Promise<void> {
    const taken = await this.opts.store.withScheduler((trx) => takeOverExpired(trx, this.claim()));
    if (taken.length === 0) return;
    const known = await Promise.all(taken.map((o) => this.knownToFreeswitch(o.callId)));
    const absent = taken.filter((_, i) => known[i] === false);
    // known[i] undefined: a node could not be asked; the claim's new lease runs out and a later pass asks again.
    for (const o of taken.filter((_, i) => known[i] === true)) await this.recordPlaced(o);
    if (absent.length === 0) return;
    await sleep(this.opts.cdrSettleMs ?? 5000);
    const [ended, held] = await this.opts.store.withScheduler(async (trx) => [
      await withCdr(trx, absent.map((o) => o.callId)),
      await stillHeld(trx, this.opts.instanceId, absent.map((o) => o.executionId)),
    ] as const);
    for (const o of absent) {
      if (ended.has(o.callId)) {
        await this.recordPlaced(o);
        continue;
      }
      // The lease ran out while waiting (another instance may hold it now): theirs to decide.
      if (!held.has(o.executionId)) continue;
      // Asked again at the last moment: the first answer is cdrSettleMs old, and a call placed
      // since (a slow originate of the old holder, or a short call whose CDR is not written yet
      // but whose channel is up) must not be dialled a second time.
      const known = await this.knownToFreeswitch(o.callId);
      if (known === true) await this.recordPlaced(o);
      else if (known === false) await this.originate(o);
      // undefined: a node could not be asked; the lease runs out and a later pass asks again.
    }
  }

  /** true: a node has the channel; false: every node, all reached, says it has not; undefined: a node could not be asked. */
  private async knownToFreeswitch(callId: string): Promise<boolean | undefined> {
    try {
      const answers = await this.opts.nodes.everyNode((conn) => conn.api(uuidExists(callId)));
      if (answers.some((a) => a.ok && a.value.trim() === 'true')) return true;
      return answers.every((a) => a.ok) ? false : undefined;
    } catch {
      return undefined; // the node records could not be read
    }
  }

  /** A taken-over call FreeSWITCH has or had: originated, at a time nobody recorded. */
  private async recordPlaced(o: Occurrence): Promise<void> {
    await this.guard(o, () => this.opts.store.withScheduler((trx) => settle(trx, this.opts.instanceId, o.executionId, { outcome: 'originated', startedAt: null })));
  }

  /** Originates `o` on `node` when given and connected here, else on this instance's least-loaded node. */
  private originate(o: Occurrence, node?: string): Promise<void> {
    const placed = this.guard(o, () => this.place(o, node));
    this.placing.set(o.callId, placed);
    return placed;
  }

  private async place(o: Occurrence, node?: string): Promise<void> {
    const { store, instanceId } = this.opts;
    try {
      await this.opts.calls.originate(o.tenant, o.extension, o.destination, o.callId, node);
    } catch (err) {
      this.placing.delete(o.callId);
      const error = messageOf(err);
      if (err instanceof CallError && err.code === 'esl_unavailable') {
        await store.withScheduler((trx) => release(trx, instanceId, o.executionId, error));
      } else {
        await store.withScheduler((trx) => settle(trx, instanceId, o.executionId, { outcome: 'failed', error, now: this.now() }));
      }
      return;
    }
    const startedAt = this.now();
    await store.withScheduler((trx) => settle(trx, instanceId, o.executionId, { outcome: 'originated', startedAt }));
  }

  /** Runs `fn`, reporting its failure: the claim then stays until its lease runs out and is recovered. */
  private async guard(o: Occurrence, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.opts.onError(err, { stage: 'originate', executionId: o.executionId });
    }
  }

  private readonly onEnded = (call: Call): void => {
    const placed = this.placing.get(call.callId);
    if (!placed) return;
    this.placing.delete(call.callId);
    if (call.state !== 'failed') return;
    const write = placed
      .then(() => this.opts.store.withScheduler((trx) => recordFailedCall(trx, call.callId, call.hangupCause, this.now())))
      .catch((err: unknown) => this.opts.onError(err, { stage: 'outcomes' }))
      .finally(() => this.background.delete(write));
    this.background.add(write);
  };
}
