/**
 * What the portal's live view shows of a customer besides its calls, read fresh for each
 * snapshot (in `store.withTenant`): its phones' registrations (src/esl/registrations.ts writes
 * them) and its trunks' gateway states (src/esl/gateways.ts writes them).
 */
import type { Store } from '../db/store.js';

/** One extension's registration. Times are Dates; the API answers ISO 8601. */
export interface RegistrationState {
  extensionId: string;
  /** The extension number, e.g. 1001. */
  extensionNumber: string;
  sipUsername: string;
  displayName: string | null;
  registered: boolean;
  /** The Contact as sofia keeps it. */
  contact: string | null;
  userAgent: string | null;
  /** Source address and port of the REGISTER. */
  ip: string | null;
  port: number | null;
  expiresAt: Date | null;
  lastRegistrationAt: Date | null;
}

/** One trunk's gateway as FreeSWITCH reports it. */
export interface GatewayStateRow {
  trunkId: string;
  name: string;
  /** mod_sofia's state name, e.g. REGED, NOREG, FAIL_WAIT, or `unknown` before the first report. */
  registrationState: string;
  /** The OPTIONS ping result, e.g. UP, DOWN; null without pings. */
  pingStatus: string | null;
  lastError: string | null;
  lastRegisteredAt: Date | null;
  /** Channels through the trunk now. */
  currentChannels: number;
}

/**
 * The tenant's extensions' registrations, by extension number.
 * @param onlyExtensionId just this extension (an agent's own); null = every one
 */
export function registrationStates(store: Store, tenantId: string, onlyExtensionId: string | null): Promise<RegistrationState[]> {
  return store.withTenant(tenantId, async (trx) => {
    let query = trx
      .selectFrom('extensions')
      .select(['id', 'extension', 'sip_username', 'display_name', 'registered', 'contact', 'user_agent', 'registered_ip', 'registered_port', 'registration_expires_at', 'last_registration_at'])
      .where('tenant_id', '=', tenantId);
    if (onlyExtensionId) query = query.where('id', '=', onlyExtensionId);
    const rows = await query.orderBy('extension').execute();
    return rows.map((r) => ({
      extensionId: r.id, extensionNumber: r.extension, sipUsername: r.sip_username, displayName: r.display_name, registered: r.registered,
      contact: r.contact, userAgent: r.user_agent,
      ip: r.registered_ip, port: r.registered_port, expiresAt: r.registration_expires_at, lastRegistrationAt: r.last_registration_at,
    }));
  });
}

/** The tenant's trunks' gateway states, by name. */
export function gatewayStates(store: Store, tenantId: string): Promise<GatewayStateRow[]> {
  return store.withTenant(tenantId, async (trx) => {
    const rows = await trx
      .selectFrom('trunks')
      .select(['id', 'name', 'registration_state', 'ping_status', 'last_error', 'last_registered_at', 'current_channels'])
      .where('tenant_id', '=', tenantId)
      .orderBy('name')
      .execute();
    return rows.map((r) => ({
      trunkId: r.id, name: r.name, registrationState: r.registration_state, pingStatus: r.ping_status, lastError: r.last_error,
      lastRegisteredAt: r.last_registered_at, currentChannels: r.current_channels,
    }));
  });
}
