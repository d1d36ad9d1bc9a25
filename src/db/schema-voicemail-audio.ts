/**
 * Kysely table type of voicemail messages' audio (sql/023_voicemail_audio.sql), part of
 * `Database` in ./schema.ts and checked with it by test/db/schema-types.test.ts.
 */
import type { ColumnType } from 'kysely';

type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** `complete`: the fork ended with the recording; `partial`: it ended early, the audio up to then is kept. */
export type VoicemailAudioStatus = 'complete' | 'partial';

export interface VoicemailAudioTable {
  tenant_id: string;
  /** mod_voicemail's message UUID (`VM-Message-UUID`): the caller's channel Unique-ID. */
  message_uuid: string;
  /** The extension whose mailbox holds the message. */
  extension_id: string;
  status: VoicemailAudioStatus;
  failure_reason: string | null;
  started_at: RequiredTimestamp;
  ended_at: RequiredTimestamp;
  /** Milliseconds of audio in `content`. */
  duration_ms: number;
  /** Size of `content`, bytes. */
  bytes: number;
  /** Hz: 8000 or 16000. */
  sample_rate: number;
  /** 1 for the mono fork: what the caller said. */
  channels: number;
  /** The WAV file (RIFF, PCM 16-bit). */
  content: Buffer;
  created_at: Timestamp;
}
