/**
 * Where a scheduler pass places the occurrences it claims, over the whole fleet: the nodes ranked
 * by src/domain/call-placement.ts (fresh HEARTBEAT first, most free sessions, then idle CPU),
 * the same ranking a click-to-call follows (src/api/call-forwarding.ts).
 *
 * - The best node has a fresh HEARTBEAT and this instance holds it: claim what is due, originate
 *   on that node.
 * - Another live instance holds it: claim only occurrences at least `ownerWaitMs` late (that
 *   instance's scheduler claims them and places them on its node); one that late is claimed here
 *   and placed on this instance's best node, so an owner whose scheduler is stuck never makes an
 *   occurrence be skipped.
 * - No fresh HEARTBEAT anywhere (a fresh start, one instance, figures not stored yet): claim what
 *   is due, originate on this instance's least-loaded connected node (EslNodes.leastLoaded).
 *
 * This only decides who claims and where the call goes, never whether it is claimed twice: that
 * stays with claimDue's row locks (src/domain/recurring-call-executions.ts).
 */
import type { PlacementCandidate } from '../domain/call-placement.js';

/** What a pass claims and where it originates. */
export interface PassPlacement {
  /** Claim only occurrences due at least this many milliseconds ago (0: all that are due). */
  waitMs: number;
  /** The node to originate on, by name; undefined: this instance's least-loaded connected node. */
  node?: string;
}

/**
 * How late an occurrence must be before an instance not holding the best node claims it:
 * three scheduler intervals (the owner passes every `intervalMs` after its previous pass ended,
 * so it claims a due occurrence within one interval plus one pass; a pass may wait `cdrSettleMs`
 * while recovering), but at most half of what the grace period leaves after a lease, so that a
 * claim made this late and then abandoned is still recovered and called in time.
 * With the defaults (10 s, 60 s lease, 300 s grace): 30 s.
 */
export const ownerWaitMs = (o: { intervalMs: number; leaseMs: number; graceMs: number }): number =>
  Math.min(3 * o.intervalMs, (o.graceMs - o.leaseMs) / 2);

/** This pass's placement from `ranked` (best first) for instance `self` (see the module comment). */
export function passPlacement(ranked: readonly PlacementCandidate[], self: string, waitMs: number): PassPlacement {
  const best = ranked[0];
  if (!best?.fresh) return { waitMs: 0 };
  if (best.owner === self) return { waitMs: 0, node: best.node };
  const own = ranked.find((c) => c.fresh && c.owner === self);
  return own ? { waitMs, node: own.node } : { waitMs };
}
