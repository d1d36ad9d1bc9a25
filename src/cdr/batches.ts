/**
 * The CDR writer's batches (src/cdr/writer.ts): what one spool line holds, a batch, a refused
 * CDR, and how two reports of one leg in the same batch are merged or kept apart.
 */
import type { CdrRecord } from '../domain/cdrs.js';
import type { CdrConflictReason, CdrOwner } from '../domain/cdrs.js';
import type { SpoolSegment } from './spool.js';

export type CdrSource = 'esl' | 'json_cdr';

/** One spool line. */
export interface SpoolEntry {
  source: CdrSource;
  record: CdrRecord;
}

/** A CDR refused because its `Unique-ID` is stored for another tenant or node. */
export interface CdrConflict {
  uniqueId: string;
  source: CdrSource | 'spool';
  reason: CdrConflictReason;
  stored: CdrOwner;
  reported: CdrOwner;
}

export interface Batch {
  segment: SpoolSegment;
  /** null: kept on disk only (memory limit, or left by a previous run). */
  entries: SpoolEntry[] | null;
  recovered: boolean;
}

/** Two reports of one leg by the same FreeSWITCH with the same tenant hints (the event socket's and mod_json_cdr's). */
const sameLeg = (a: CdrRecord, b: CdrRecord) =>
  (a.coreUuid ?? null) === (b.coreUuid ?? null) && a.accountcode === b.accountcode && a.domain === b.domain && a.did === b.did;

/**
 * The entries as rounds of distinct legs, to write one round after another. A second report of a
 * leg in the same batch fills the fields the first left empty, as a later one does in the
 * database; one from another FreeSWITCH or with other tenant hints waits for the next round, so
 * the database judges it against the row the first one wrote.
 */
export function distinctLegs(entries: SpoolEntry[]): SpoolEntry[][] {
  const rounds: Array<Map<string, SpoolEntry>> = [];
  for (const e of entries) {
    let i = 0;
    for (; i < rounds.length; i++) {
      const seen = rounds[i]!.get(e.record.uniqueId);
      if (!seen) break;
      if (!sameLeg(seen.record, e.record)) continue;
      const merged: Record<string, unknown> = { ...seen.record };
      for (const [key, value] of Object.entries(e.record)) merged[key] ??= value;
      merged.metadata = { ...e.record.metadata, ...seen.record.metadata };
      rounds[i]!.set(e.record.uniqueId, { source: seen.source, record: merged as unknown as CdrRecord });
      break;
    }
    if (i === rounds.length) rounds.push(new Map());
    if (!rounds[i]!.has(e.record.uniqueId)) rounds[i]!.set(e.record.uniqueId, e);
  }
  return rounds.map((round) => [...round.values()]);
}
