/**
 * Extensions' registration state as the event socket reports it (src/esl/registrations.ts):
 * `registered`, the node holding the binding, the binding itself (contact, user agent, source
 * address and port, expiry) and `last_registration_at`. Written in the ingest role's
 * transaction; phones are found by their tenant's SIP domain and SIP username.
 */
import { sql, type Kysely } from 'kysely';
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

type BindingWrite = Extract<RegistrationWrite, { kind: 'binding' }>;

/**
 * Writes a batch in order; an unregister from a node that no longer holds the phone changes nothing.
 * The writes of different phones between two sweeps go in one statement per shape (`writeBindings`);
 * a phone written twice in that stretch (one key per node and phone: several nodes) starts a new one.
 * @returns how many phones of the batch are no extension
 */
export async function writeRegistrations(trx: Kysely<Database>, batch: RegistrationWrite[]): Promise<number> {
  let unknown = 0;
  let run: BindingWrite[] = [];
  const phones = new Set<string>();
  const flush = async () => {
    if (run.length > 0) unknown += await writeBindings(trx, run);
    run = [];
    phones.clear();
  };
  for (const w of batch) {
    if (w.kind === 'sweep') {
      await flush();
      await sweep(trx, w.node, w.present);
      continue;
    }
    if (phones.has(aorKey(w.aor))) await flush();
    run.push(w);
    phones.add(aorKey(w.aor));
  }
  await flush();
  return unknown;
}

/**
 * Writes the bindings of distinct phones, one statement per shape (with or without a binding, with
 * or without a registration time: what is absent is kept as stored), each finding its phones by
 * domain and username and updating them together.
 * @returns how many of them are no extension
 */
async function writeBindings(trx: Kysely<Database>, writes: BindingWrite[]): Promise<number> {
  const shapes = new Map<string, BindingWrite[]>();
  for (const w of writes) {
    const shape = `${w.binding !== undefined} ${w.at !== undefined}`;
    shapes.set(shape, [...(shapes.get(shape) ?? []), w]);
  }
  let unknown = 0;
  for (const group of shapes.values()) {
    const { binding, at } = group[0]!;
    const rows = group.map((w) => ({
      node: w.node,
      domain: w.aor.domain,
      username: w.aor.username,
      registered: w.registered,
      contact: w.binding?.contact ?? null,
      user_agent: w.binding?.userAgent ?? null,
      ip: w.binding?.ip ?? null,
      port: w.binding?.port ?? null,
      expires_at: w.binding?.expiresAt ?? null,
      at: w.at ?? null,
    }));
    const set = [
      sql`registered = w.registered`,
      sql`registered_node = case when w.registered then w.node end`,
      ...(binding
        ? [sql`contact = w.contact`, sql`user_agent = w.user_agent`, sql`registered_ip = w.ip`, sql`registered_port = w.port`, sql`registration_expires_at = w.expires_at`]
        : []),
      ...(at ? [sql`last_registration_at = w.at`] : []),
    ];
    const result = await sql<{ found: number }>`
      with w as (
        select w.*, x.id
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as w(node text, domain text, username text, registered boolean,
          contact text, user_agent text, ip text, port integer, expires_at timestamptz, at timestamptz)
        join tenants t on t.sip_domain = w.domain
        join extensions x on x.tenant_id = t.id and x.sip_username = w.username
      ), updated as (
        update extensions e set ${sql.join(set)}
        from w
        where e.id = w.id and (w.registered or e.registered_node is null or e.registered_node = w.node)
      )
      select count(*)::int as found from w`.execute(trx);
    unknown += rows.length - result.rows[0]!.found;
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
