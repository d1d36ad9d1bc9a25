/**
 * Every command Switchplane sends FreeSWITCH over the event socket (`api`/`bgapi` text, without
 * the `api `/`bgapi ` prefix), built in one place. The text is exactly what the command's source
 * parses (mod_commands.c, mod_sofia.c, the fork modules); callers never assemble command strings.
 */
import { PHONE_PROFILE, TRUNK_PROFILE, transferTarget, userEndpoint, type ProfileName } from './vocabulary.js';

/** A `{name=value,...}` channel-variable prefix as originate reads it (switch_ivr_originate.c). */
function variables(vars: ReadonlyArray<readonly [string, string | number]>): string {
  return `{${vars.map(([k, v]) => `${k}=${v}`).join(',')}}`;
}

/**
 * `originate {<vars>}<endpoint> <extension> XML <context>` (mod_commands.c originate_function:
 * `<call url> <exten> [<dialplan>] [<context>]`): rings `endpoint`, then runs the context's
 * dialplan for `extension` on the answered leg. Sent by bgapi (it blocks until answer or failure).
 */
export function originate(o: { vars: ReadonlyArray<readonly [string, string | number]>; endpoint: string; extension: string; context: string }): string {
  return `originate ${variables(o.vars)}${o.endpoint} ${transferTarget(o.extension, o.context)}`;
}

/** `originate` of a directory user (`user/<user>@<domain>`), as `originate`. */
export function originateUser(o: { vars: ReadonlyArray<readonly [string, string | number]>; user: string; domain: string; extension: string; context: string }): string {
  return originate({ vars: o.vars, endpoint: userEndpoint(o.user, o.domain), extension: o.extension, context: o.context });
}

/**
 * `uuid_transfer <uuid> [-bleg] <extension> XML <context>` (mod_commands.c transfer_function):
 * moves the channel (with `bleg`, the leg bridged to it) into the dialplan.
 */
export function uuidTransfer(uuid: string, extension: string, context: string, opts: { bleg?: boolean } = {}): string {
  return `uuid_transfer ${uuid}${opts.bleg ? ' -bleg' : ''} ${transferTarget(extension, context)}`;
}

/** `uuid_kill <uuid> [<cause>]`: hangs the channel up (NORMAL_CLEARING when no cause is given). */
export function uuidKill(uuid: string, cause?: string): string {
  return cause ? `uuid_kill ${uuid} ${cause}` : `uuid_kill ${uuid}`;
}

/** `uuid_exists <uuid>`: answers `true` or `false`. */
export function uuidExists(uuid: string): string {
  return `uuid_exists ${uuid}`;
}

/** `uuid_dump <uuid> json`: the channel's headers and variables as one JSON object. */
export function uuidDump(uuid: string): string {
  return `uuid_dump ${uuid} json`;
}

/** `uuid_setvar <uuid> <name> <value>`: sets a channel variable (mod_commands.c uuid_setvar_function). */
export function uuidSetVar(uuid: string, name: string, value: string): string {
  return `uuid_setvar ${uuid} ${name} ${value}`;
}

/** `uuid_break <uuid> all`: stops the playing file and drops the queued ones. */
export function uuidBreakAll(uuid: string): string {
  return `uuid_break ${uuid} all`;
}

/** `show channels as json`: every channel of the node (`{"row_count":n,"rows":[...]}`). */
export const SHOW_CHANNELS = 'show channels as json';

/** mod_audio_stream: `uuid_audio_stream <uuid> start <url> mono 8k <metadata>` and `stop`. */
export const audioStream = {
  start: (uuid: string, url: string, metadata: string) => `uuid_audio_stream ${uuid} start ${url} mono 8k ${metadata}`,
  stop: (uuid: string) => `uuid_audio_stream ${uuid} stop`,
  /**
   * `uuid_audio_stream <uuid> start <url> stereo 8k`: both directions of the channel, 8 kHz L16
   * little-endian, interleaved (left = what the channel receives from its party, right = what it
   * sends to it: FreeSWITCH media bug SMBF_STEREO). Needs no spaces in `url`.
   */
  record: (uuid: string, url: string) => `uuid_audio_stream ${uuid} start ${url} stereo 8k`,
};

/**
 * mod_audio_fork: `uuid_audio_fork <uuid> start <url> mono 8k audio_fork <metadata> 1 1 8000`
 * (bidirectional audio at 8 kHz), `stop`, and `stop_play` (drops what is playing back).
 */
export const audioFork = {
  start: (uuid: string, url: string, metadata: string) => `uuid_audio_fork ${uuid} start ${url} mono 8k audio_fork ${metadata} 1 1 8000`,
  stop: (uuid: string) => `uuid_audio_fork ${uuid} stop`,
  stopPlay: (uuid: string) => `uuid_audio_fork ${uuid} stop_play`,
};

/** `reloadacl` (mod_commands): FreeSWITCH fetches `acl.conf` again. */
export const RELOAD_ACL = 'reloadacl';

/**
 * `xml_flush_cache` (mod_commands): with a user and domain, `xml_flush_cache id <user> <domain>`
 * drops that directory user from FreeSWITCH's XML cache; alone, the whole cache.
 */
export function xmlFlushCache(user?: { id: string; domain: string }): string {
  return user ? `xml_flush_cache id ${user.id} ${user.domain}` : 'xml_flush_cache';
}

/** `sofia profile <profile> rescan` (mod_sofia cmd_profile): loads the gateways not loaded yet. */
export function sofiaRescan(profile: ProfileName = TRUNK_PROFILE): string {
  return `sofia profile ${profile} rescan`;
}

/** `sofia profile <profile> killgw <gateway>`: drops the gateway (unregistering it first). */
export function sofiaKillGateway(gateway: string, profile: ProfileName = TRUNK_PROFILE): string {
  return `sofia profile ${profile} killgw ${gateway}`;
}

/**
 * `sofia xmlstatus profile <profile> reg` (mod_sofia.c `cmd_xml_status`): the profile's
 * registrations as `<profile><registrations><registration>...`.
 */
export function sofiaRegistrations(profile: ProfileName = PHONE_PROFILE): string {
  return `sofia xmlstatus profile ${profile} reg`;
}

/** `sofia xmlstatus gateway`: every gateway of every running profile as `<gateways><gateway>...`. */
export const SOFIA_GATEWAYS = 'sofia xmlstatus gateway';

/** The mod_voicemail profile of every mailbox (voicemail.conf `default`; the dialplan's `voicemail default ...`). */
export const VOICEMAIL_PROFILE = 'default';

/**
 * mod_voicemail's mailbox commands (mod_voicemail.c, FreeSWITCH 1.10): a mailbox is
 * `<user>@<domain>`, user = the directory user id (the SIP username).
 * - `list`: `vm_fsdb_msg_list json <profile> <domain> <user> inbox <not-read|read>`, the
 *   message UUIDs as JSON `{"VM-List-Count":"n","VM-List-Message-<i>-UUID":"..."}`; any filter
 *   other than not-read, new and save lists the messages read (`read_epoch != 0`).
 * - `get`: `vm_fsdb_msg_get json <profile> <domain> <user> <uuid>`, one message as JSON
 *   `VM-Message-*` headers (none when the mailbox has no such message).
 * - `read`: `vm_read <user>@<domain>/<profile> <read|unread> <uuid>`, sets or clears its
 *   read_epoch and sends the mailbox's MESSAGE_WAITING event (+OK).
 * - `delete`: `vm_delete <user>@<domain>/<profile> <uuid>`, removes its file and row and sends
 *   the MESSAGE_WAITING event (+OK).
 * vm_read and vm_delete match the uuid alone: callers check that the mailbox holds it (`get`) first.
 */
export const voicemail = {
  list: (domain: string, user: string, filter: 'not-read' | 'read') => `vm_fsdb_msg_list json ${VOICEMAIL_PROFILE} ${domain} ${user} inbox ${filter}`,
  get: (domain: string, user: string, uuid: string) => `vm_fsdb_msg_get json ${VOICEMAIL_PROFILE} ${domain} ${user} ${uuid}`,
  read: (domain: string, user: string, uuid: string, read: boolean) => `vm_read ${user}@${domain}/${VOICEMAIL_PROFILE} ${read ? 'read' : 'unread'} ${uuid}`,
  delete: (domain: string, user: string, uuid: string) => `vm_delete ${user}@${domain}/${VOICEMAIL_PROFILE} ${uuid}`,
};
