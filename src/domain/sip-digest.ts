/**
 * HA1 for SIP digest authentication (RFC 2617 section 3.2.2.2, used by RFC 3261 section 22.4):
 * md5(`username:realm:password`) in lower-case hex. FreeSWITCH takes it as the directory user
 * param `a1-hash` and never sees the password (mod_sofia, sofia_reg.c `sofia_reg_parse_auth`).
 */
import { createHash } from 'node:crypto';

export function a1Hash(username: string, realm: string, password: string): string {
  return createHash('md5').update(`${username}:${realm}:${password}`, 'utf8').digest('hex');
}
