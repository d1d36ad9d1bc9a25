/**
 * Dialplan answers kept as bytes, so that a call into a cached tenant is answered synchronously:
 * no promise, no timer, no rendering. FreeSWITCH itself never caches dialplan answers
 * (mod_xml_curl asks on every call and every transfer), so this is the dialplan's hot path.
 *
 * An answer is kept per decision: the lookup's context, destination, authenticated user,
 * kept direction and whether the call is recorded already (every field `planCall` reads
 * besides the caller's number). What varies per call is left as a slot and filled in each
 * time: the caller's number of an AI agent call, and the recording's id and signed fork URL.
 *
 * An answer is used only while it is still true:
 * - it belongs to the tenant snapshot it was decided from: once TenantCache drops that snapshot
 *   (a change notice for the tenant, its trunks' gateway states, or the cache's TTL), the
 *   snapshot it holds is no longer the cached one and the answer is decided again;
 * - answers in the `public` context also depend on which tenant owns the DID (a number moved,
 *   a national number that became ambiguous), so every change notice drops all of them, as it
 *   drops TenantCache's DID index;
 * - answers in the `public` context of a tenant with an AI number that has business hours
 *   hold for the minute they were decided in: business hours have minute resolution
 *   (src/domain/business-hours.ts), and zone offsets are whole minutes, so the decision cannot
 *   change within one UTC minute. No other decision reads the clock.
 */
import { LRUCache } from 'lru-cache';
import { planCall, type CallPlan } from '../domain/call-routing.js';
import type { RecordingForks } from '../domain/recording-forks.js';
import type { TenantCache } from '../domain/tenant-cache.js';
import type { TenantSnapshot } from '../domain/tenant-snapshot.js';
import { INBOUND_CONTEXT } from '../domain/tenants.js';
import { fsText } from '../freeswitch/vocabulary.js';
import { recordingActions, renderDialplan, type Action } from './dialplan.js';
import type { DialplanLookup } from './request.js';

/** Placeholders rendered into an answer where per-call values go. */
const SLOT_MARK = '\ue000';
const slot = (n: number) => `${SLOT_MARK}${n}${SLOT_MARK}`;
const SLOT_CALLER = 0;
const SLOT_RECORDING_PATH = 1;
const SLOT_RECORDING_ON_ANSWER = 2;
const MINUTE_MS = 60_000;

interface Kept {
  /** The snapshot the answer was decided from (its identity is the test of freshness). */
  snapshot: TenantSnapshot;
  /** TenantCache change notices seen when it was decided (`public` answers only). */
  generation: number;
  /** Epoch ms the answer holds from and until (exclusive); ±Infinity when it does not depend on time. */
  from: number;
  until: number;
  /** The plan, for an answer whose per-call value cannot be put in a slot as it stands. */
  plan: CallPlan;
  /** The whole answer when it has no slots. */
  bytes: Buffer | null;
  /** Otherwise: text between slots, and the slot of each gap (`parts.length - 1` of them). */
  parts: string[];
  slots: number[];
  /** The extension whose calls the answer records, when it records. */
  recording: { tenantId: string; extensionId: string } | null;
}

export interface DialplanAnswersOptions {
  /** Most answers kept, per kind (`public` and tenant contexts). */
  maxAnswers: number;
  /** Most bytes of answers kept, per kind. */
  maxBytes: number;
}

type Answer = string | Buffer | null;

/** XML attribute text as xmlbuilder2 writes it, or null for a value it would change otherwise. */
function attributeText(value: string): string | null {
  if (/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd]/.test(value) || value.includes(SLOT_MARK)) return null;
  return /[&"<>]/.test(value) ? value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : value;
}

function withCaller(plan: CallPlan, callerNumber: string): CallPlan {
  return plan.route.kind === 'ai_agent' ? { ...plan, route: { ...plan.route, caller: callerNumber } } : plan;
}

export class DialplanAnswers {
  private readonly inbound: LRUCache<string, Kept>;
  private readonly tenantContexts: LRUCache<string, Kept>;
  private generation = 0;

  constructor(
    private readonly tenants: TenantCache,
    private readonly forks: RecordingForks,
    opts: DialplanAnswersOptions,
  ) {
    const size = (k: Kept) => (k.bytes?.length ?? k.parts.reduce((n, p) => n + p.length, 0)) + 200;
    this.inbound = new LRUCache({ max: opts.maxAnswers, maxSize: opts.maxBytes, sizeCalculation: size });
    this.tenantContexts = new LRUCache({ max: opts.maxAnswers, maxSize: opts.maxBytes, sizeCalculation: size });
    tenants.on('invalidated', this.dropInbound);
  }

  private readonly dropInbound = (): void => {
    this.generation++;
    this.inbound.clear();
  };

  /** Answers kept, for tests and /metrics. */
  get size(): number {
    return this.inbound.size + this.tenantContexts.size;
  }

  /**
   * The answer to a dialplan lookup at `now`: synchronously when one is kept and still true,
   * else once the call has been planned (`planCall`; a context Switchplane does not own is null).
   * @throws what planCall throws (the tenant cache's database read)
   */
  answer(lookup: DialplanLookup, now: Date): Answer | Promise<Answer> {
    const inbound = lookup.context === INBOUND_CONTEXT;
    const key = `${lookup.context}\0${lookup.destination}\0${lookup.authUser ?? ''}\0${lookup.direction ?? ''}\0${lookup.recordingPath ? 1 : 0}`;
    const kept = (inbound ? this.inbound : this.tenantContexts).get(key);
    if (kept && this.holds(kept, inbound, now.getTime())) {
      const filled = this.fill(kept, lookup);
      if (filled !== null) return filled;
    }
    const generation = this.generation;
    return planCall(this.tenants, lookup, now).then((plan) => {
      if (!plan) return null;
      const decided = this.decide(plan, inbound, generation, now.getTime());
      if (!decided) return renderDialplan(plan, this.forks);
      (inbound ? this.inbound : this.tenantContexts).set(key, decided);
      return this.fill(decided, lookup);
    });
  }

  /**
   * Renders the `public` answers of a freshly loaded tenant's numbers ahead of their first call
   * (`Prerenderer` calls this in idle time, for the tenants loaded at start).
   * @returns the number of numbers whose answer is being rendered
   */
  prerender(s: TenantSnapshot, now: Date): number {
    if (s.tenant.status !== 'active') return 0;
    for (const n of s.numbers) {
      const pending = this.answer({ section: 'dialplan', context: INBOUND_CONTEXT, destination: n.number, callerNumber: '', authUser: null, direction: null, recordingPath: null }, now);
      if (pending instanceof Promise) pending.catch(() => {});
    }
    return s.numbers.length;
  }

  /** Stops following the tenant cache's change notices. */
  close(): void {
    this.tenants.off('invalidated', this.dropInbound);
  }

  private holds(k: Kept, inbound: boolean, now: number): boolean {
    return (
      now >= k.from && now < k.until &&
      (!inbound || k.generation === this.generation) &&
      this.tenants.cached(k.snapshot.tenant.sip_domain) === k.snapshot
    );
  }

  /** The kept answer with this call's values in its slots, or null to render it afresh. */
  private fill(k: Kept, lookup: DialplanLookup): Answer {
    if (k.bytes) return k.bytes;
    const values: Array<string | null> = [];
    if (k.slots.includes(SLOT_CALLER)) values[SLOT_CALLER] = attributeText(fsText(lookup.callerNumber));
    if (k.recording) {
      const [path, onAnswer] = recordingActions(this.forks, k.recording.tenantId, k.recording.extensionId);
      values[SLOT_RECORDING_PATH] = attributeText(path![1]!);
      values[SLOT_RECORDING_ON_ANSWER] = attributeText(onAnswer![1]!);
    }
    let out = k.parts[0]!;
    for (let i = 0; i < k.slots.length; i++) {
      const value = values[k.slots[i]!];
      if (value == null) return renderDialplan(withCaller(k.plan, lookup.callerNumber), this.forks);
      out += value + k.parts[i + 1]!;
    }
    return out;
  }

  /**
   * The answer of `plan` with per-call values as slots, or null when it cannot be kept: no
   * tenant, a change notice since the lookup began, a snapshot no longer cached, or stored text
   * that looks like a slot.
   */
  private decide(plan: CallPlan, inbound: boolean, generation: number, now: number): Kept | null {
    if (!plan.tenant || generation !== this.generation) return null;
    const snapshot = this.tenants.cached(plan.tenant.sip_domain);
    if (snapshot?.tenant !== plan.tenant) return null;
    const timeBound = inbound && snapshot.numbers.some((n) => n.route === 'ai_agent' && n.business_hours !== null);
    const from = timeBound ? now - (now % MINUTE_MS) : -Infinity;
    let recording: Kept['recording'] = null;
    const record = (_forks: RecordingForks, tenantId: string, extensionId: string): Action[] => {
      recording = { tenantId, extensionId };
      return [['export', slot(SLOT_RECORDING_PATH)], ['set', slot(SLOT_RECORDING_ON_ANSWER)]];
    };
    const template = plan.route.kind === 'ai_agent' ? withCaller(plan, slot(SLOT_CALLER)) : plan;
    const pieces = renderDialplan(template, this.forks, record).split(new RegExp(`${SLOT_MARK}(\\d)${SLOT_MARK}`));
    const slots = pieces.filter((_, i) => i % 2 === 1).map(Number);
    const expected = [...(plan.route.kind === 'ai_agent' ? [SLOT_CALLER] : []), ...(recording ? [SLOT_RECORDING_PATH, SLOT_RECORDING_ON_ANSWER] : [])];
    if ([...slots].sort().join() !== expected.sort().join()) return null;
    return {
      snapshot,
      generation,
      from,
      until: timeBound ? from + MINUTE_MS : Infinity,
      plan,
      bytes: slots.length === 0 ? Buffer.from(pieces[0]!, 'utf8') : null,
      parts: pieces.filter((_, i) => i % 2 === 0),
      slots,
      recording,
    };
  }
}
