/**
 * Extensions: the tenant's phones and softphones (SIP and WebRTC users of the directory).
 */
import type { Extension } from '../db/schema.js';

/**
 * The `dial-string` FreeSWITCH uses for `user/<id>@<domain>` (mod_dptools `user_outgoing_channel`):
 * every registered contact of the user in the sofia registration database, with the invite domain,
 * presence id and allowed codecs as originate variables. A user in do-not-disturb gives
 * `error/user_busy`, so callers get USER_BUSY (486).
 */
export function dialString(ext: Pick<Extension, 'sip_username' | 'do_not_disturb' | 'allowed_codecs'>, domain: string): string {
  if (ext.do_not_disturb) return 'error/user_busy';
  const vars = [`sip_invite_domain=${domain}`, `presence_id=${ext.sip_username}@${domain}`];
  if (ext.allowed_codecs.length > 0) vars.push(`absolute_codec_string=${ext.allowed_codecs.join(',')}`);
  // `^^:` makes `:` the separator, so the comma-separated codec list needs no quoting.
  return `{^^:${vars.join(':')}}\${sofia_contact(*/${ext.sip_username}@${domain})}`;
}

