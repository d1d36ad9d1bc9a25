/**
 * The registration tracker: keeps each extension's registration state (`registered`, the last
 * binding: contact, user agent, source address and port, when, and which FreeSWITCH node holds
 * it) in step with what the `internal` profile, where phones register, reports.
 *
 * Events (CUSTOM, sofia_reg.c):
 * - `sofia::register` (`sofia_reg_handle_register_token`, after a REGISTER with Expires > 0 was
 *   authenticated and stored in sofia's `sip_registrations`; again on every refresh, then with
 *   `update-reg: true`): `profile-name`, `from-user`/`from-host` (the AOR, sofia's
 *   sip_user@sip_host), `username`/`realm` (the digest username and realm), `contact`,
 *   `network-ip`/`network-port` (where the REGISTER came from, after NAT), `user-agent`, `expires`
 *   (seconds, kept as the binding's expiry from the event's time), `to-user`/`to-host` (the From
 *   header), plus the directory user's variables, among them `domain_name`
 *   (src/xmlcurl/directory.ts: the tenant's SIP domain);
 * - `sofia::unregister` (same function, a REGISTER with Expires: 0): `profile-name`, `username`,
 *   `realm`, `from-user`, `from-host`, `contact`, `call-id`, the directory variables;
 * - `sofia::expire` (`sofia_reg_del_callback`, when sofia drops a binding that was not
 *   refreshed): `profile-name`, `user`/`host` (the AOR), `realm`, `contact`, `user-agent`,
 *   `call-id`, `expires` (epoch seconds).
 * Not `sofia::pre_register` (the 401 challenge) or `sofia::register_attempt`: they fire for
 * digest-authenticated INVITEs too, and neither means a binding was stored.
 *
 * An event names a phone by its tenant's SIP domain (the first of `domain_name`, `realm`,
 * `from-host`, `host`, `to-host`, lower-cased) and its SIP username (`username`, `from-user`,
 * `user`, `to-user`; the internal profile has `inbound-reg-force-matching-username`, so the AOR
 * user is the digest username). A register sets `registered`, the binding and
 * `last_registration_at` (the event's `Event-Date-Timestamp`, microseconds); an unregister or
 * expire clears `registered` and `registered_node` and keeps the last binding, unless another node
 * holds the registration by then. Unknown phones, domains and other profiles are counted
 * (`switchplane_errors_total{kind="registration_unknown"}`) and ignored.
 *
 * Each time a node's link comes up, the tracker asks it what is registered (`LIST_REGISTRATIONS`:
 * sofia's own table; the core `registrations` table behind `show registrations` is not kept in
 * step with it, FreeSWITCH issue #1869), marks those phones registered on that node with the
 * listed binding (the list has no registration time: `last_registration_at` stays), and every
 * other extension that node held as unregistered, so a missed unregister or a FreeSWITCH restart
 * does not leave a phone shown registered.
 *
 * `handle()` never awaits: writes go through a WriteQueue (serial, batched, coalesced per phone
 * and node, retried until they land; failures counted as `kind="registration"` and reported).
 * Each batch gathers the events of `REGISTRATION_GATHER_MS` and is written in one transaction, so a
 * steady stream of REGISTERs costs a few statements a batch rather than a transaction each.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { bindingKey, writeRegistrations, type Aor, type Binding, type RegistrationWrite } from '../domain/registrations.js';
import { sofiaRegistrations } from '../freeswitch/commands.js';
import { PHONE_PROFILE } from '../freeswitch/vocabulary.js';
import type { EslConnection, EslEvent } from './connection.js';
import { REGISTRATION_EVENTS, parseRegistrationEvent, portNumber, toAor, type RegistrationEvent } from './sofia-events.js';
import { elements, text } from './sofia-xml.js';
import { StateTracker, type StateTrackerDeps } from './state-tracker.js';

/**
 * Lists the phone profile's bindings from sofia's `sip_registrations` (mod_sofia.c
 * `cmd_xml_status`, `show_reg_callback_xml`), on 1.10 as
 * `<profile><registrations><registration>` with `<user>` (AOR, `user@host`), `<contact>`,
 * `<agent>`, `<status>` (`Registered(UDP)(unknown) exp(<local time>) expsecs(<seconds left>)`),
 * `<network-ip>`, `<network-port>`, `<sip-auth-user>` (URL-encoded), `<sip-auth-realm>`, ...;
 * an unknown profile answers `Invalid Profile!`.
 */
export const LIST_REGISTRATIONS = sofiaRegistrations(PHONE_PROFILE);

type Write = RegistrationWrite;

/** Milliseconds a batch of registration writes gathers events: how much later the API may show a REGISTER. */
export const REGISTRATION_GATHER_MS = 100;

export type RegistrationTrackerDeps = StateTrackerDeps;

/** `seconds` after `from`, or null when `seconds` is not a whole number. */
function after(from: Date, seconds: string | undefined): Date | null {
  const n = Number(seconds);
  return seconds !== undefined && Number.isInteger(n) ? new Date(from.getTime() + n * 1000) : null;
}

function bindingOf(reg: RegistrationEvent, at: Date): Binding {
  return {
    contact: reg.contact ?? null,
    userAgent: reg.userAgent ?? null,
    ip: reg.networkIp ?? null,
    port: reg.networkPort,
    expiresAt: after(at, reg.expires),
  };
}

function decodeUrl(value: string | undefined): string | undefined {
  try {
    return value === undefined ? undefined : decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The bindings in a `LIST_REGISTRATIONS` answer; one whose `expsecs` has run out (sofia has not
 * purged it yet) counts as gone.
 * @throws when the answer is not a registration list (e.g. `Invalid Profile!`)
 */
function parseRegistrations(xml: string): Array<{ aor: Aor; binding: Binding }> {
  const [list] = elements(xml, 'registrations');
  if (list === undefined) throw new Error(`${LIST_REGISTRATIONS} answered no registration list: ${xml.trim().slice(0, 100)}`);
  return elements(list, 'registration').flatMap((reg) => {
    const user = text(reg, 'user') ?? '';
    const at = user.lastIndexOf('@');
    const aor = toAor(text(reg, 'sip-auth-realm') ?? user.slice(at + 1), decodeUrl(text(reg, 'sip-auth-user')) ?? user.slice(0, Math.max(at, 0)));
    const left = /expsecs\((-?\d+)\)/.exec(text(reg, 'status') ?? '')?.[1];
    if (!aor || (left !== undefined && Number(left) <= 0)) return [];
    const binding = {
      contact: text(reg, 'contact') ?? null,
      userAgent: text(reg, 'agent') ?? null,
      ip: text(reg, 'network-ip') ?? null,
      port: portNumber(text(reg, 'network-port')),
      expiresAt: after(new Date(), left),
    };
    return [{ aor, binding }];
  });
}

/** A register folded after an unregister keeps its binding; the newer state wins. */
function merge(waiting: Write, newer: Write): Write {
  if (waiting.kind !== 'binding' || newer.kind !== 'binding') return newer;
  return { ...newer, binding: newer.binding ?? waiting.binding, at: newer.at ?? waiting.at };
}

export class RegistrationTracker extends StateTracker<Write> {
  readonly events = [...REGISTRATION_EVENTS];

  constructor(deps: RegistrationTrackerDeps) {
    super(deps, { failureKind: 'registration', unknownKind: 'registration_unknown', merge, gatherMs: REGISTRATION_GATHER_MS });
  }

  handle(event: EslEvent, node: string): void {
    const reg = parseRegistrationEvent(event);
    const aor = reg?.aor;
    if (!reg || !aor || (reg.profile !== undefined && reg.profile !== PHONE_PROFILE)) {
      this.deps.metrics.errors.inc({ kind: 'registration_unknown' });
      return;
    }
    let write: Write = { kind: 'binding', node, aor, registered: false };
    if (reg.name === 'sofia::register') {
      const at = reg.at ?? new Date();
      write = { kind: 'binding', node, aor, registered: true, binding: bindingOf(reg, at), at };
    }
    this.queue.push(bindingKey(node, aor), write);
  }

  protected async reconcile(node: string, conn: EslConnection): Promise<void> {
    const { result } = await conn.bgapi(LIST_REGISTRATIONS); // a long list must not hold up the event socket
    const bindings = parseRegistrations(await result);
    if (this.closed) return;
    const present = new Set<string>();
    for (const { aor, binding } of bindings) {
      const key = bindingKey(node, aor);
      present.add(key);
      this.queue.push(key, { kind: 'binding', node, aor, registered: true, binding });
    }
    this.queue.push(JSON.stringify(['sweep', node]), { kind: 'sweep', node, present });
  }

  /** Writes a batch in one transaction; returns how many phones were not found. */
  protected write(trx: Kysely<Database>, batch: Write[]): Promise<number> {
    return writeRegistrations(trx, batch);
  }
}
