/**
 * mod_sofia's CUSTOM events parsed once into typed records.
 *
 * Registrations (sofia_reg.c): `sofia::register` (`sofia_reg_handle_register_token`, a REGISTER
 * with Expires > 0 authenticated and stored; again on every refresh), `sofia::unregister` (a
 * REGISTER with Expires: 0) and `sofia::expire` (`sofia_reg_del_callback`, a binding dropped
 * unrefreshed). The phone is named by its tenant's SIP domain (the first of `domain_name`, a
 * directory variable, `realm`, `from-host`, `host`, `to-host`, lower-cased) and its SIP username
 * (`username`, `from-user`, `user`, `to-user`).
 *
 * Gateway state (sofia_reg.c `sofia_reg_fire_custom_gateway_state_event`): `Gateway`, `State`
 * (mod_sofia.c `sofia_state_names`), `Ping-Status`, and `Status`/`Phrase` only when fired for a
 * REGISTER response.
 */
import type { Aor } from '../domain/registrations.js';
import { eventKey, field, fromMicroseconds, type EslEvent } from './events.js';

export const REGISTRATION_EVENTS = ['sofia::register', 'sofia::unregister', 'sofia::expire'] as const;
export type RegistrationEventName = (typeof REGISTRATION_EVENTS)[number];
export const GATEWAY_STATE_EVENT = 'sofia::gateway_state';

export type { Aor };

export interface RegistrationEvent {
  name: RegistrationEventName;
  /** `profile-name`. */
  profile?: string;
  /** undefined when the event names no domain or no username. */
  aor?: Aor;
  /** The Contact as sofia keeps it, e.g. `"" <sip:1001@192.0.2.7:5070;transport=UDP>`. */
  contact?: string;
  userAgent?: string;
  /** `network-ip` / `network-port`: where the REGISTER came from, after NAT. */
  networkIp?: string;
  networkPort: number | null;
  /** `expires`: seconds (register) or an epoch in seconds (expire); the text as sent. */
  expires?: string;
  /** `Event-Date-Timestamp`. */
  at?: Date;
}

export interface GatewayStateEvent {
  /** `Gateway`: the gateway name ('' when absent). */
  gateway: string;
  /** `State`, e.g. `REGED`, `FAILED` ('' when absent). */
  state: string;
  /** `Ping-Status`: `DOWN`, `UP` or `INVALID`. */
  pingStatus?: string;
  /** `Status` (SIP code) and `Phrase` of a REGISTER response. */
  status?: string;
  phrase?: string;
  /** `Event-Date-Timestamp`. */
  at?: Date;
}

/** A TCP/UDP port, or null when not one. */
export function portNumber(value: string | undefined): number | null {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : null;
}

export function toAor(domain: string | undefined, username: string | undefined): Aor | undefined {
  return domain && username ? { domain: domain.toLowerCase(), username } : undefined;
}

/** The registration event in `event`; undefined for any other event. */
export function parseRegistrationEvent(event: EslEvent): RegistrationEvent | undefined {
  const name = eventKey(event);
  if (!(REGISTRATION_EVENTS as readonly string[]).includes(name)) return undefined;
  const f = (header: string) => field(event, header);
  return {
    name: name as RegistrationEventName,
    profile: f('profile-name'),
    aor: toAor(f('domain_name') ?? f('realm') ?? f('from-host') ?? f('host') ?? f('to-host'), f('username') ?? f('from-user') ?? f('user') ?? f('to-user')),
    contact: f('contact'),
    userAgent: f('user-agent'),
    networkIp: f('network-ip'),
    networkPort: portNumber(f('network-port')),
    expires: f('expires'),
    at: fromMicroseconds(f('Event-Date-Timestamp')),
  };
}

/** The gateway state event in `event`; undefined for any other event. */
export function parseGatewayStateEvent(event: EslEvent): GatewayStateEvent | undefined {
  if (eventKey(event) !== GATEWAY_STATE_EVENT) return undefined;
  const f = (header: string) => field(event, header);
  return {
    gateway: f('Gateway') ?? '',
    state: f('State') ?? '',
    pingStatus: f('Ping-Status'),
    status: f('Status'),
    phrase: f('Phrase'),
    at: fromMicroseconds(f('Event-Date-Timestamp')),
  };
}
