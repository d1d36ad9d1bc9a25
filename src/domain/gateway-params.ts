/**
 * A trunk's sofia gateway parameters (mod_sofia sofia.c `parse_gateways`): what the `external`
 * profile's answer holds for the gateway (src/xmlcurl/sofia.ts) and what the configuration
 * reloader fingerprints to tell a changed gateway (src/esl/reload.ts).
 */
import { INBOUND_CONTEXT, fsText } from '../freeswitch/vocabulary.js';
import type { SecretBox } from './secrets.js';
import type { GatewayRow } from './trunks.js';

/** A gateway's `<param>`s (mod_sofia sofia.c `parse_gateways`); the reloader fingerprints them. */
export function gatewayParams(t: GatewayRow, secrets: SecretBox): Array<[string, string]> {
  const params: Array<[string, string]> = [
    ['username', t.username ?? 'switchplane'],
    ['realm', t.realm ?? t.host],
    ['proxy', `${t.host}:${t.port}`],
    ['register', String(t.register)],
    ['register-transport', t.transport],
    ['expire-seconds', String(t.expire_seconds)],
    ['retry-seconds', String(t.retry_seconds)],
    ['caller-id-in-from', String(t.caller_id_in_from)],
    ['extension', 'auto_to_user'],
    ['context', INBOUND_CONTEXT],
  ];
  if (t.password_enc) params.splice(1, 0, ['password', secrets.open(t.password_enc)]);
  if (t.from_user) params.push(['from-user', fsText(t.from_user)]);
  if (t.from_domain) params.push(['from-domain', fsText(t.from_domain)]);
  if (t.ping_seconds) params.push(['ping', String(t.ping_seconds)]);
  return params;
}
