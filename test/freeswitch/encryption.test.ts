/**
 * On the real FreeSWITCH 1.10.12: the W3 Suite guide's `encryptionEnabled` on an extension makes
 * SRTP mandatory on its calls (the directory user's rtp_secure_media=mandatory). A phone of that
 * extension offering plain RTP/AVP is refused; a call to it is offered RTP/SAVP with SDES keys,
 * and a plain RTP/AVP answer ends it; the same calls without the setting are answered.
 */
import t from 'tap';
import {
  assertCleanLog,
  createCustomer,
  createExtension,
  placeCall,
  startPhone,
  startRealSwitch,
  type Customer,
  type Extension,
  type RealSwitch,
} from '../helpers/real-switch.js';

t.setTimeout(240_000); // a file on the real switch: start-up and five calls
let rs: RealSwitch;
let acme: Customer;
const ext: Record<string, Extension> = {};

t.before(async () => {
  rs = await startRealSwitch(t, 'encryption');
  acme = await createCustomer(rs.sp, 'acme');
  ext['1001'] = await createExtension(rs.sp, acme, { extensionNumber: '1001', displayName: 'Mario Rossi', encryptionEnabled: true });
  ext['1002'] = await createExtension(rs.sp, acme, { extensionNumber: '1002', displayName: 'Giulia Bianchi' });
  ext['1003'] = await createExtension(rs.sp, acme, { extensionNumber: '1003', displayName: 'Luca Verdi' });
  ext['1004'] = await createExtension(rs.sp, acme, { extensionNumber: '1004', displayName: 'Sara Neri', encryptionEnabled: true });
});

/** The INVITE a phone received, from its SIPp message trace. */
const receivedInvite = (messages: string) => /received \[\d+\] bytes :\s+(INVITE sip:[\s\S]*?)(?:\n-{5,}|$)/.exec(messages)?.[1] ?? '';

t.test('a phone of an extension with encryptionEnabled offering plain RTP/AVP is refused with 488', async (t) => {
  const phone = await startPhone(t, rs, acme, ext['1003']!);
  const refused = await placeCall(t, rs, acme, ext['1001']!, '1003', { refusedWith: 488 });
  t.equal(refused.code, 0, refused.messages.slice(-1500));
  t.match(rs.fs.log(), /Crypto not negotiated but required/, "FreeSWITCH's reason in its log");
  // The callee's phone never rang: 1002's plain call is the one it answers.
  const answered = await placeCall(t, rs, acme, ext['1002']!, '1003');
  t.equal(answered.code, 0, 'the same call from an extension without encryptionEnabled is answered');
  t.equal((await phone.done).code, 0, 'the phone answered that call and its BYE');
  t.equal(receivedInvite((await phone.done).messages).match(/RTP\/SAVP|a=crypto/g), null, 'offered plain RTP, as before');
});

t.test('a call to an extension with encryptionEnabled is offered SRTP; its phone answering plain RTP/AVP ends the call', async (t) => {
  const phone = await startPhone(t, rs, acme, ext['1004']!);
  const refused = await placeCall(t, rs, acme, ext['1002']!, '1004', { refusedWith: 488 });
  t.equal(refused.code, 0, refused.messages.slice(-1500));
  const done = await phone.done;
  const invite = receivedInvite(done.messages);
  t.match(invite, /m=audio \d+ RTP\/SAVP /, 'FreeSWITCH offered RTP/SAVP');
  t.match(invite, /a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:/, 'with SDES keys (RFC 4568)');
  t.match(done.messages, /BYE sip:/, 'and hung up the leg whose answer had no crypto');
});

assertCleanLog(t, () => rs);
