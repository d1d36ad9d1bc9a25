/**
 * Live channels per trunk (`trunks.current_channels`), as the channel tracker (src/esl/channels.ts)
 * counts them from FreeSWITCH's channel events. Written as switchplane_ingest, which may update
 * that column of every tenant's trunks.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/**
 * Sets `current_channels` of each trunk in `counts` (trunk id → channels); with `zeroOthers`, every
 * other trunk's to 0 first (what an earlier process left). Run it in one ingest transaction.
 */
export async function writeChannelCounts(trx: Kysely<Database>, counts: ReadonlyMap<string, number>, zeroOthers: boolean): Promise<void> {
  if (zeroOthers) {
    const others = trx.updateTable('trunks').set({ current_channels: 0 });
    await (counts.size > 0 ? others.where('id', 'not in', [...counts.keys()]) : others).execute();
  }
  for (const [id, n] of counts) await trx.updateTable('trunks').set({ current_channels: n }).where('id', '=', id).execute();
}
