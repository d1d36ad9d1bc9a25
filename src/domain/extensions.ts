/**
 * Extensions: the tenant's phones and softphones (SIP and WebRTC users of the directory), and how
 * a dialled or authenticating name picks one of them.
 */
import type { Extension, ExtensionStatus, ProvisioningStatus } from '../db/schema.js';

/** Codecs an extension may allow, as FreeSWITCH names them in `absolute_codec_string`. */
export const CODECS = ['PCMU', 'PCMA', 'G722', 'OPUS', 'G729'] as const;
export type Codec = (typeof CODECS)[number];

/** `extensions.status`: only an `active` extension registers, rings and places calls. */
export const EXTENSION_STATUSES = ['active', 'inactive', 'suspended'] as const satisfies readonly ExtensionStatus[];

/**
 * `extensions.provisioning_status`, the W3 Suite guide's `provisioningStatus`: the customer
 * application's record of its own provisioning, stored and returned as set; `provisioned` when
 * not given (the directory answers for an extension from its creation). Switchplane acts on
 * `status` only.
 */
export const PROVISIONING_STATUSES = ['pending', 'provisioned', 'failed'] as const satisfies readonly ProvisioningStatus[];

type Named = Pick<Extension, 'sip_username' | 'extension'>;

/**
 * Whether `user` names `ext`: its SIP username (the directory user `id`) or its extension number
 * (the directory `number-alias`), as FreeSWITCH matches a directory user.
 */
export function namesExtension(ext: Named, user: string): boolean {
  return ext.sip_username === user || ext.extension === user;
}

/**
 * The active extension among `extensions` that `user` names (see `namesExtension`); a SIP
 * username match wins over an extension-number match, as mod_directory's `id` wins over a
 * `number-alias`. Every lookup of "which extension is this" (directory, dialplan routing,
 * click-to-call checks) goes through here.
 */
export function findActiveExtension<E extends Named & Pick<Extension, 'status'>>(extensions: Iterable<E>, user: string): E | undefined {
  let byNumber: E | undefined;
  for (const e of extensions) {
    if (e.status !== 'active') continue;
    if (e.sip_username === user) return e;
    if (byNumber === undefined && e.extension === user) byNumber = e;
  }
  return byNumber;
}

/**
 * The `dial-string` FreeSWITCH uses for `user/<id>@<domain>` (mod_dptools `user_outgoing_channel`):
 * every registered contact of the user in the sofia registration database, with the invite domain,
 * presence id and allowed codecs as originate variables, and rtp_secure_media=mandatory for an
 * extension with `encryption_enabled` (the directory user's own variables do not reach the leg
 * to the phone before its offer is built: that leg offers RTP/SAVP with SDES keys only through
 * this). A user in do-not-disturb gives `error/user_busy`, so callers get USER_BUSY (486).
 */
export function dialString(ext: Pick<Extension, 'sip_username' | 'do_not_disturb' | 'allowed_codecs' | 'encryption_enabled'>, domain: string): string {
  if (ext.do_not_disturb) return 'error/user_busy';
  const vars = [`sip_invite_domain=${domain}`, `presence_id=${ext.sip_username}@${domain}`];
  if (ext.allowed_codecs.length > 0) vars.push(`absolute_codec_string=${ext.allowed_codecs.join(',')}`);
  if (ext.encryption_enabled) vars.push('rtp_secure_media=mandatory');
  // `^^:` makes `:` the separator, so the comma-separated codec list needs no quoting.
  return `{^^:${vars.join(':')}}\${sofia_contact(*/${ext.sip_username}@${domain})}`;
}
