/**
 * The media fork a recording streams over: FreeSWITCH's mod_audio_stream opens
 * `<MEDIA_WS_URL>/recordings/<recording id>?tenant=&extension=&call=&token=` and sends the
 * recorded channel's audio on it. The token is HMAC-SHA256 (base64url) of the recording id, tenant
 * and extension under a key derived from the secrets key, so any Switchplane instance that shares
 * the key accepts the fork, and nobody without it can push audio into a tenant's recordings.
 * The call's Unique-ID is not signed: FreeSWITCH fills it in (`${uuid}`) when the fork starts.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The label the fork key is derived with (SecretBox.derive). */
export const RECORDING_FORK_KEY_LABEL = 'switchplane recording fork';

/** Path prefix of the recording fork on the HTTP server's port. */
export const RECORDING_FORK_PATH = '/recordings/';

export interface RecordingFork {
  recordingId: string;
  tenantId: string;
  /** The extension whose calls are recorded. */
  extensionId: string;
}

/** A fork as its WebSocket request names it, once its token is checked. */
export interface AcceptedFork extends RecordingFork {
  /** The recorded channel's Unique-ID, as FreeSWITCH expanded `${uuid}`. */
  callUuid: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CALL_ID = /^[0-9A-Za-z-]{1,64}$/;

export class RecordingForks {
  /**
   * @param key 32 bytes (SecretBox.derive(RECORDING_FORK_KEY_LABEL))
   * @param baseUrl MEDIA_WS_URL: ws(s)://host:port, no trailing slash
   */
  constructor(private readonly key: Buffer, private readonly baseUrl: string) {}

  private token(f: RecordingFork): string {
    return createHmac('sha256', this.key).update(`${f.recordingId}.${f.tenantId}.${f.extensionId}`).digest('base64url');
  }

  /** The fork's URL; `callUuid` is a Unique-ID or the FreeSWITCH variable `${uuid}` the channel expands. */
  url(f: RecordingFork, callUuid: string): string {
    const query = `tenant=${f.tenantId}&extension=${f.extensionId}&call=${callUuid}&token=${this.token(f)}`;
    return `${this.baseUrl}${RECORDING_FORK_PATH}${f.recordingId}?${query}`;
  }

  /**
   * The fork a request URL (path and query) names, or null when it is not a recording fork's path.
   * @throws Error when the path is a recording fork's but a field is missing or malformed, or the token is wrong
   */
  accept(requestUrl: string): AcceptedFork | null {
    const url = new URL(requestUrl, 'http://media');
    if (!url.pathname.startsWith(RECORDING_FORK_PATH)) return null;
    const q = url.searchParams;
    const fork = {
      recordingId: url.pathname.slice(RECORDING_FORK_PATH.length),
      tenantId: q.get('tenant') ?? '',
      extensionId: q.get('extension') ?? '',
      callUuid: q.get('call') ?? '',
    };
    if (![fork.recordingId, fork.tenantId, fork.extensionId].every((v) => UUID.test(v)) || !CALL_ID.test(fork.callUuid)) {
      throw new Error('malformed recording fork request');
    }
    const given = Buffer.from(q.get('token') ?? '');
    const own = Buffer.from(this.token(fork));
    if (given.length !== own.length || !timingSafeEqual(given, own)) throw new Error('wrong recording fork token');
    return fork;
  }
}
