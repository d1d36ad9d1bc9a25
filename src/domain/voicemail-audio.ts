/**
 * Voicemail messages' audio as stored (sql/023_voicemail_audio.sql): written once, when the media
 * fork of the message ends (src/media/voicemail-capture.ts), read by the API's download
 * (src/api/voicemail-audio.ts), deleted with the message. Keyed by tenant and mod_voicemail's
 * message UUID; every read and delete also names the mailbox's extension, so a message id of
 * another mailbox finds nothing.
 */
import type { VoicemailAudioStatus } from '../db/schema-voicemail-audio.js';
import type { Store } from '../db/store.js';

export type { VoicemailAudioStatus };

/** The API path that downloads a voicemail message's audio (the message's `audioUrl`). */
export function voicemailAudioPath(tenantId: string, extensionId: string, messageId: string): string {
  return `/api/v1/customers/${tenantId}/extensions/${extensionId}/voicemail/${messageId}/audio`;
}

export interface NewVoicemailAudio {
  tenantId: string;
  extensionId: string;
  messageUuid: string;
  status: VoicemailAudioStatus;
  failureReason: string | null;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  sampleRate: number;
  channels: number;
  /** The WAV file. */
  content: Buffer;
}

/**
 * Stores a message's audio. A second write of the same message changes nothing (a fork started twice).
 * @returns false when the message's audio was already stored
 * @throws the database's error (the caller retries: src/db/retry-until-stored.ts)
 */
export async function saveVoicemailAudio(store: Store, a: NewVoicemailAudio): Promise<boolean> {
  const inserted = await store.withTenant(a.tenantId, (trx) =>
    trx
      .insertInto('voicemail_audio')
      .values({
        tenant_id: a.tenantId,
        message_uuid: a.messageUuid,
        extension_id: a.extensionId,
        status: a.status,
        failure_reason: a.failureReason,
        started_at: a.startedAt,
        ended_at: a.endedAt,
        duration_ms: a.durationMs,
        bytes: a.content.length,
        sample_rate: a.sampleRate,
        channels: a.channels,
        content: a.content,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'message_uuid']).doNothing())
      .returning('message_uuid')
      .executeTakeFirst(),
  );
  return inserted !== undefined;
}

/** Which of `messageIds` of the extension's mailbox have audio stored. */
export async function messagesWithAudio(store: Store, tenantId: string, extensionId: string, messageIds: readonly string[]): Promise<Set<string>> {
  if (messageIds.length === 0) return new Set();
  const rows = await store.withTenant(tenantId, (trx) =>
    trx
      .selectFrom('voicemail_audio')
      .select('message_uuid')
      .where('tenant_id', '=', tenantId)
      .where('extension_id', '=', extensionId)
      .where('message_uuid', 'in', [...messageIds])
      .execute(),
  );
  return new Set(rows.map((r) => r.message_uuid));
}

/** A message's WAV file, or null when the extension's mailbox has no audio stored for it. */
export async function getVoicemailAudio(store: Store, tenantId: string, extensionId: string, messageId: string): Promise<Buffer | null> {
  const row = await store.withTenant(tenantId, (trx) =>
    trx
      .selectFrom('voicemail_audio')
      .select('content')
      .where('tenant_id', '=', tenantId)
      .where('extension_id', '=', extensionId)
      .where('message_uuid', '=', messageId)
      .executeTakeFirst(),
  );
  if (!row) return null;
  // pg gives a Buffer, PGlite a Uint8Array
  return Buffer.isBuffer(row.content) ? row.content : Buffer.from(row.content);
}

/** Deletes a message's audio. @returns whether there was any */
export async function deleteVoicemailAudio(store: Store, tenantId: string, extensionId: string, messageId: string): Promise<boolean> {
  const result = await store.withTenant(tenantId, (trx) =>
    trx
      .deleteFrom('voicemail_audio')
      .where('tenant_id', '=', tenantId)
      .where('extension_id', '=', extensionId)
      .where('message_uuid', '=', messageId)
      .executeTakeFirst(),
  );
  return result.numDeletedRows > 0n;
}
