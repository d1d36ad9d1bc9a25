/**
 * The SIP credentials answer of an extension (`GET /api/v1/extensions/{id}/credentials` and the
 * create answer's `sipCredentials`): what a desk phone, a softphone or the portal's browser phone
 * needs to register. The W3 Suite guide's SIP.js code reads `sipUsername`, `sipPassword`,
 * `sipServer` and `wsPort` and connects to `wss://<sipServer>:<wsPort>`; the portal's phone
 * connects to `wsUrl`, which also names the plain `ws-binding` when SOFIA_WS_PORT is set.
 */
import { isIP } from 'node:net';
import { Type, type Static } from '@fastify/type-provider-typebox';
import type { Config } from '../config.js';
import type { ExtensionWithSecret } from '../domain/extension-store.js';

export const SipCredentials = Type.Object(
  {
    extension: Type.String(),
    username: Type.String(),
    password: Type.String(),
    domain: Type.String({ description: 'SIP domain and digest realm' }),
    sipUri: Type.String({ description: 'sip:<username>@<domain>' }),
    server: Type.String({ description: 'host phones register to' }),
    sipPort: Type.Integer(),
    wssPort: Type.Integer({ description: 'WebRTC secure WebSocket port; 0 = WebRTC is off' }),
    sipUsername: Type.String({ description: 'the same as username (the name SIP.js examples read)' }),
    sipPassword: Type.String({ description: 'the same as password' }),
    sipServer: Type.String({ description: 'the same as server' }),
    wsPort: Type.Integer({ description: 'the same as wssPort: SIP.js examples connect to wss://<sipServer>:<wsPort>' }),
    wsUrl: Type.String({
      description: 'the WebSocket a browser phone connects to: ws://<SIP_SERVER, or SOFIA_SIP_IP when that is an address>:<SOFIA_WS_PORT> '
        + 'when the plain binding is on, else wss://<sipServer>:<wssPort>; "" when both are off',
    }),
  },
  { $id: 'SipCredentials', title: 'SipCredentials' },
);

/**
 * Where a browser phone connects: the plain `ws-binding` when SOFIA_WS_PORT is set (it listens on
 * SOFIA_SIP_IP, so SIP_SERVER, or that address when it is a literal one), else the
 * `wss-binding`; "" when WebRTC is off.
 */
function webSocketUrl(config: Pick<Config, 'sofia' | 'api'>, server: string): string {
  const { sofia } = config;
  if (sofia.wsPort > 0) return `ws://${config.api.sipServer ?? (isIP(sofia.sipIp) ? sofia.sipIp : server)}:${sofia.wsPort}`;
  return sofia.wssPort > 0 ? `wss://${server}:${sofia.wssPort}` : '';
}

/** The answer for one extension; `server` is SIP_SERVER, or the customer's SIP domain when unset. */
export function sipCredentials(config: Pick<Config, 'sofia' | 'api'>, { row, password, domain }: ExtensionWithSecret): Static<typeof SipCredentials> {
  const server = config.api.sipServer ?? domain;
  return {
    extension: row.extension,
    username: row.sip_username,
    password,
    domain,
    sipUri: `sip:${row.sip_username}@${domain}`,
    server,
    sipPort: config.sofia.internalPort,
    wssPort: config.sofia.wssPort,
    sipUsername: row.sip_username,
    sipPassword: password,
    sipServer: server,
    wsPort: config.sofia.wssPort,
    wsUrl: webSocketUrl(config, server),
  };
}
