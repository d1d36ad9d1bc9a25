/**
 * The media fork a voicemail message's audio reaches Switchplane over. The dialplan marks the
 * caller's channel before `voicemail` with the mailbox (`switchplane_voicemail_box`,
 * `<tenant id>/<extension id>`); when mod_voicemail starts recording the message
 * (switch_ivr_play_say.c `switch_ivr_record_file` fires RECORD_START), Switchplane starts a mono
 * mod_audio_stream fork of that channel to `<MEDIA_WS_URL>/voicemail/<message id>?tenant=&extension=&token=`
 * (src/esl/voicemail-recording.ts). The message id is the caller's channel Unique-ID, which is the
 * message UUID mod_voicemail stores (mod_voicemail.c `voicemail_leave_main` hands the session's
 * uuid to `deliver_vm` as `use_uuid`). The token is HMAC-SHA256 (base64url) of the message id,
 * tenant and extension under a key derived from the secrets key: every Switchplane instance sharing
 * the key accepts the fork, and nobody without it can push audio into a mailbox.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The label the fork key is derived with (SecretBox.derive). */
export const VOICEMAIL_FORK_KEY_LABEL = 'switchplane voicemail fork';

/** Path prefix of the voicemail fork on the HTTP server's port. */
export const VOICEMAIL_FORK_PATH = '/voicemail/';

/** The channel variable naming the mailbox a caller is leaving a message in (set by the dialplan). */
export const VOICEMAIL_BOX_VARIABLE = 'switchplane_voicemail_box';

/** The mailbox of a message being left: the tenant and the extension owning it. */
export interface VoicemailBox {
  tenantId: string;
  extensionId: string;
}

/** A message's fork: its mailbox and mod_voicemail's message UUID (the caller's Unique-ID). */
export interface VoicemailFork extends VoicemailBox {
  messageId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A channel Unique-ID: FreeSWITCH's are UUIDs, `origination_uuid` may name others. */
const MESSAGE_ID = /^[0-9A-Za-z-]{1,64}$/;

/** The value of VOICEMAIL_BOX_VARIABLE for a mailbox. */
export function voicemailBoxValue(box: VoicemailBox): string {
  return `${box.tenantId}/${box.extensionId}`;
}

/** The mailbox VOICEMAIL_BOX_VARIABLE names, or null when the value is absent or malformed. */
export function parseVoicemailBox(value: string | undefined | null): VoicemailBox | null {
  const [tenantId = '', extensionId = '', ...rest] = (value ?? '').split('/');
  return rest.length === 0 && UUID.test(tenantId) && UUID.test(extensionId) ? { tenantId, extensionId } : null;
}

/** Whether `id` can be a message id (a channel Unique-ID) in a fork's URL. */
export function isMessageId(id: string): boolean {
  return MESSAGE_ID.test(id);
}

export class VoicemailForks {
  /**
   * @param key 32 bytes (SecretBox.derive(VOICEMAIL_FORK_KEY_LABEL))
   * @param baseUrl MEDIA_WS_URL: ws(s)://host:port, no trailing slash
   */
  constructor(private readonly key: Buffer, private readonly baseUrl: string) {}

  private token(f: VoicemailFork): string {
    return createHmac('sha256', this.key).update(`${f.messageId}.${f.tenantId}.${f.extensionId}`).digest('base64url');
  }

  /**
   * The fork's URL (no spaces, parentheses or braces: it goes into a FreeSWITCH API expansion).
   * @throws Error when the message id is not a channel Unique-ID
   */
  url(f: VoicemailFork): string {
    if (!isMessageId(f.messageId)) throw new Error('malformed voicemail message id');
    return `${this.baseUrl}${VOICEMAIL_FORK_PATH}${f.messageId}?tenant=${f.tenantId}&extension=${f.extensionId}&token=${this.token(f)}`;
  }

  /**
   * The fork a request URL (path and query) names, or null when it is not a voicemail fork's path.
   * @throws Error when the path is a voicemail fork's but a field is missing or malformed, or the token is wrong
   */
  accept(requestUrl: string): VoicemailFork | null {
    const url = new URL(requestUrl, 'http://media');
    if (!url.pathname.startsWith(VOICEMAIL_FORK_PATH)) return null;
    const box = parseVoicemailBox(`${url.searchParams.get('tenant') ?? ''}/${url.searchParams.get('extension') ?? ''}`);
    const messageId = url.pathname.slice(VOICEMAIL_FORK_PATH.length);
    if (!box || !isMessageId(messageId)) throw new Error('malformed voicemail fork request');
    const fork = { ...box, messageId };
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    const own = Buffer.from(this.token(fork));
    if (given.length !== own.length || !timingSafeEqual(given, own)) throw new Error('wrong voicemail fork token');
    return fork;
  }
}
