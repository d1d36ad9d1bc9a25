/**
 * Trunks' gateway state as FreeSWITCH reports it (src/esl/gateways.ts): `registration_state`,
 * `ping_status`, `last_error` and `last_registered_at`, written in the ingest role's transaction.
 * A gateway is named by its trunk's id (src/domain/trunks.ts `gatewayName`).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { gatewayName } from './trunks.js';

export interface GatewayState {
  /** The gateway name (a trunk id). */
  name: string;
  /** mod_sofia's state name, e.g. `REGED`. */
  state: string;
  pingStatus: string | null;
  /** undefined = keep what is stored. */
  lastError?: string | null;
  registeredAt?: Date;
}

/**
 * Writes a batch in order.
 * @returns how many gateways of the batch are no trunk
 */
export async function writeGatewayStates(trx: Kysely<Database>, batch: GatewayState[]): Promise<number> {
  const trunks = await trx.selectFrom('trunks').select('id').where('id', 'in', batch.map((g) => g.name.toLowerCase())).execute();
  const ids = new Map(trunks.map((t) => [gatewayName(t), t.id]));
  let unknown = 0;
  for (const gw of batch) {
    const id = ids.get(gw.name.toLowerCase());
    if (id === undefined) {
      unknown++;
      continue;
    }
    await trx
      .updateTable('trunks')
      .set({
        registration_state: gw.state,
        ping_status: gw.pingStatus,
        ...(gw.lastError !== undefined && { last_error: gw.lastError }),
        ...(gw.registeredAt && { last_registered_at: gw.registeredAt }),
      })
      .where('id', '=', id)
      .execute();
  }
  return unknown;
}
