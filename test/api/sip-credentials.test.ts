/**
 * The credentials answer's WebSocket URL: the plain ws-binding when SOFIA_WS_PORT is set (on
 * SIP_SERVER or the literal SOFIA_SIP_IP), else the wss-binding on the SIP server, else none; the
 * W3 Suite names repeat the classic fields.
 */
import t from 'tap';
import { sipCredentials } from '../../src/api/sip-credentials.js';
import type { ExtensionWithSecret } from '../../src/domain/extension-store.js';

const ext = { row: { extension: '1001', sip_username: '1001' }, password: 'a-secret-of-the-phone', domain: 'acme.example' } as unknown as ExtensionWithSecret;
const config = (sofia: { sipIp?: string; wssPort?: number; wsPort?: number }, sipServer?: string) => ({
  sofia: { sipIp: '$${local_ip_v4}', externalIp: 'auto-nat', internalPort: 5060, externalPort: 5080, wssPort: 7443, wsPort: 0, maxRecvRequestsPerSecond: 4000, ...sofia },
  api: { sipServer } as never,
});

t.test('WSS on the SIP server by default, with the W3 Suite names', async (t) => {
  t.match(sipCredentials(config({}), ext), {
    username: '1001', password: 'a-secret-of-the-phone', server: 'acme.example', wssPort: 7443,
    sipUsername: '1001', sipPassword: 'a-secret-of-the-phone', sipServer: 'acme.example', wsPort: 7443, wsUrl: 'wss://acme.example:7443',
  });
  t.equal(sipCredentials(config({}, 'sip.example.net'), ext).wsUrl, 'wss://sip.example.net:7443');
});

t.test('plain WS when SOFIA_WS_PORT is set: SIP_SERVER, else the literal SOFIA_SIP_IP, else the domain', async (t) => {
  t.equal(sipCredentials(config({ wsPort: 5066 }, '127.0.0.1'), ext).wsUrl, 'ws://127.0.0.1:5066');
  t.equal(sipCredentials(config({ wsPort: 5066, sipIp: '127.0.0.1' }), ext).wsUrl, 'ws://127.0.0.1:5066');
  t.equal(sipCredentials(config({ wsPort: 5066 }), ext).wsUrl, 'ws://acme.example:5066');
});

t.test('no WebSocket binding: an empty URL', async (t) => {
  t.equal(sipCredentials(config({ wssPort: 0 }), ext).wsUrl, '');
});
