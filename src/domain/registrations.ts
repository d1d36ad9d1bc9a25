/**
 * Extensions' registration state as the event socket reports it (src/esl/registrations.ts):
 * `registered`, the node holding the binding, the binding itself (contact, user agent, source
 * address and port, expiry) and `last_registration_at`. Written in the ingest role's
 * transaction; phones are found by their tenant's SIP domain and SIP username.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

/** A phone: its tenant's SIP domain (lower case) and its SIP username. */
export interface Aor {
  domain: string;
  username: string;
}

/** Where a registered phone is reached, as sofia stored it. */
export interface Binding {
  /** The Contact as sofia keeps it, e.g. `"" <sip:1001@192.0.2.7:5070;transport=UDP>`. */
  contact: string | null;
  userAgent: string | null;
  /** Source address and port of the REGISTER (sofia's `network_ip`, `network_port`). */
  ip: string | null;
  port: number | null;
  /** When the binding runs out unless refreshed; null when not told. */
  expiresAt: Date | null;
}

export type RegistrationWrite =
  /** A phone's state on `node`; `binding`/`at` undefined = keep what is stored. */
  | { kind: 'binding'; node: string; aor: Aor; registered: boolean; binding?: Binding; at?: Date }
  /** Unregisters every extension `node` holds whose key (`bindingKey`) is not in `present`. */
  | { kind: 'sweep'; node: string; present: Set<string> };

const aorKey = (aor: Aor) => JSON.stringify([aor.domain, aor.username]);
/** The key of a phone's state on a node. */
export const bindingKey = (node: string, aor: Aor) => JSON.stringify([node, aor.domain, aor.username]);

/**
 * Writes a batch in order; an unregister from a node that no longer holds the phone changes nothing.
 * @returns how many phones of the batch are no extension
 */
export async function writeRegistrations(trx: Kysely<Database>, batch: RegistrationWrite[]): Promise<number> {
  const aors = batch.flatMap((w) => (w.kind === 'binding' ? [w.aor] : []));
  const ids = new Map<string, string>();
  if (aors.length > 0) {
    const rows = await trx
      .selectFrom('extensions')
      .innerJoin('tenants', 'tenants.id', 'extensions.tenant_id')
      .select(['extensions.id', 'extensions.sip_username', 'tenants.sip_domain'])
      .where('tenants.sip_domain', 'in', [...new Set(aors.map((a) => a.domain))])
      .where('extensions.sip_username', 'in', [...new Set(aors.map((a) => a.username))])
      .execute();
    for (const r of rows) ids.set(aorKey({ domain: r.sip_domain, username: r.sip_username }), r.id);
  }
  let unknown = 0;
  for (const w of batch) {
    if (w.kind === 'sweep') {
      await sweep(trx, w.node, w.present);
      continue;
    }
    const id = ids.get(aorKey(w.aor));
    if (id === undefined) {
      unknown++;
      continue;
    }
    const values = {
      registered: w.registered,
      registered_node: w.registered ? w.node : null,
      ...(w.binding && {
        contact: w.binding.contact,
        user_agent: w.binding.userAgent,
        registered_ip: w.binding.ip,
        registered_port: w.binding.port,
        registration_expires_at: w.binding.expiresAt,
      }),
      ...(w.at && { last_registration_at: w.at }),
    };
    let update = trx.updateTable('extensions').set(values).where('id', '=', id);
    // An unregister from a node that no longer holds the phone (it moved) changes nothing.
    if (!w.registered) update = update.where((eb) => eb.or([eb('registered_node', 'is', null), eb('registered_node', '=', w.node)]));
    await update.execute();
  }
  return unknown;
}

/** Unregisters the extensions `node` holds that FreeSWITCH's list did not have. */
async function sweep(trx: Kysely<Database>, node: string, present: Set<string>): Promise<void> {
  const held = await trx
    .selectFrom('extensions')
    .innerJoin('tenants', 'tenants.id', 'extensions.tenant_id')
    .select(['extensions.id', 'extensions.sip_username', 'tenants.sip_domain'])
    .where('extensions.registered_node', '=', node)
    .execute();
  const gone = held.filter((r) => !present.has(bindingKey(node, { domain: r.sip_domain, username: r.sip_username }))).map((r) => r.id);
  for (let i = 0; i < gone.length; i += 1000) {
    await trx
      .updateTable('extensions')
      .set({ registered: false, registered_node: null })
      .where('id', 'in', gone.slice(i, i + 1000))
      .where('registered_node', '=', node)
      .execute();
  }
}
