/**
 * Kysely table type of call recordings (sql/019_recordings.sql), part of `Database` in ./schema.ts
 * and checked with it by test/db/schema-types.test.ts.
 */
import type { ColumnType } from 'kysely';

type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Count = ColumnType<number, number | undefined, number>;

/** `complete`: the fork ended with the call; `partial`: it ended early, the audio up to then is kept; `failed`: no audio kept. */
export type RecordingStatus = 'complete' | 'partial' | 'failed';

export interface RecordingsTable {
  /** Chosen when the dialplan starts the fork; the CDR's recording_url names it. */
  id: string;
  tenant_id: string;
  /** Unique-ID of the recorded leg (its CDR's `unique_id`). */
  call_uuid: string;
  /** The extension that asked for its calls to be recorded. */
  extension_id: string | null;
  status: RecordingStatus;
  failure_reason: string | null;
  started_at: RequiredTimestamp;
  ended_at: RequiredTimestamp;
  /** Milliseconds of audio in `content`. */
  duration_ms: Count;
  /** Size of `content`, bytes. */
  bytes: Count;
  /** Hz: 8000 or 16000. */
  sample_rate: number;
  /** 2 for a stereo fork: left = the recorded leg's party, right = what it heard. */
  channels: number;
  /** The WAV file (RIFF, PCM 16-bit); null when nothing was received. */
  content: Buffer | null;
  created_at: Timestamp;
}
