/**
 * Call recordings as stored (sql/019_recordings.sql): written once, when the media fork ends
 * (src/media/recording-capture.ts), and read by the API (src/api/recordings.ts). Each write queues
 * its webhook event in the same transaction: `recording.saved` for a complete recording,
 * `recording.failed` for a partial or failed one (src/domain/event-webhooks.ts).
 */
import type { Selectable } from 'kysely';
import type { RecordingStatus, RecordingsTable } from '../db/schema-recordings.js';
import type { Store } from '../db/store.js';
import { NotFoundError } from './errors.js';
import { emitEvent } from './event-webhooks.js';

export type { RecordingStatus };

/** The API path that downloads a recording's WAV (what a CDR's recording_url holds). */
export function recordingAudioPath(tenantId: string, recordingId: string): string {
  return `/api/v1/customers/${tenantId}/recordings/${recordingId}/audio`;
}

export interface NewRecording {
  id: string;
  tenantId: string;
  callUuid: string;
  extensionId: string | null;
  status: RecordingStatus;
  failureReason: string | null;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
  sampleRate: number;
  channels: number;
  /** The WAV file, or null when no audio was received. */
  content: Buffer | null;
}

/** A recording without its audio, with the id of its CDR when that is written. */
export type RecordingInfo = Omit<Selectable<RecordingsTable>, 'content'> & { cdr_id: string | null };

/**
 * Stores a recording and queues its event. A second write of the same id changes nothing (a fork
 * reported twice).
 * @returns false when the id was already stored
 * @throws the database's error (the caller retries: src/db/retry-until-stored.ts)
 */
export async function saveRecording(store: Store, r: NewRecording): Promise<boolean> {
  return store.withTenant(r.tenantId, async (trx) => {
    const inserted = await trx
      .insertInto('recordings')
      .values({
        id: r.id,
        tenant_id: r.tenantId,
        call_uuid: r.callUuid,
        extension_id: r.extensionId,
        status: r.status,
        failure_reason: r.failureReason,
        started_at: r.startedAt,
        ended_at: r.endedAt,
        duration_ms: r.durationMs,
        bytes: r.content?.length ?? 0,
        sample_rate: r.sampleRate,
        channels: r.channels,
        content: r.content,
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return false;
    const data = {
      recordingId: r.id,
      callId: r.callUuid,
      extensionId: r.extensionId,
      status: r.status,
      durationSeconds: r.durationMs / 1000,
      bytes: r.content?.length ?? 0,
      url: r.content ? recordingAudioPath(r.tenantId, r.id) : null,
      ...(r.status !== 'complete' && { error: r.failureReason }),
    };
    await emitEvent(trx, { tenantId: r.tenantId, type: r.status === 'complete' ? 'recording.saved' : 'recording.failed', data });
    return true;
  });
}

const INFO_COLUMNS = [
  'r.id', 'r.tenant_id', 'r.call_uuid', 'r.extension_id', 'r.status', 'r.failure_reason', 'r.started_at', 'r.ended_at',
  'r.duration_ms', 'r.bytes', 'r.sample_rate', 'r.channels', 'r.created_at',
] as const;

export interface RecordingFilter {
  /** Only this extension's recordings (an agent's view). */
  ownExtensionId?: string | null;
  callUuid?: string;
  limit: number;
  offset: number;
}

/** The tenant's recordings, newest first, with the total count. */
export async function listRecordings(store: Store, tenantId: string, f: RecordingFilter): Promise<{ rows: RecordingInfo[]; total: number }> {
  return store.withTenant(tenantId, async (trx) => {
    let q = trx.selectFrom('recordings as r').where('r.tenant_id', '=', tenantId);
    if (f.ownExtensionId) q = q.where('r.extension_id', '=', f.ownExtensionId);
    if (f.callUuid) q = q.where('r.call_uuid', '=', f.callUuid);
    const { total } = await q.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
    const rows = await q
      .leftJoin('cdrs as c', (j) => j.onRef('c.unique_id', '=', 'r.call_uuid').onRef('c.tenant_id', '=', 'r.tenant_id'))
      .select([...INFO_COLUMNS, 'c.id as cdr_id'])
      .orderBy('r.started_at', 'desc')
      .orderBy('r.id')
      .limit(f.limit)
      .offset(f.offset)
      .execute();
    return { rows, total: Number(total) };
  });
}

/**
 * One recording without its audio.
 * @param ownExtensionId when set, another extension's recording is not found (an agent's view)
 * @throws NotFoundError `recording`
 */
export async function getRecording(store: Store, tenantId: string, id: string, ownExtensionId: string | null = null): Promise<RecordingInfo> {
  const row = await store.withTenant(tenantId, (trx) =>
    trx
      .selectFrom('recordings as r')
      .leftJoin('cdrs as c', (j) => j.onRef('c.unique_id', '=', 'r.call_uuid').onRef('c.tenant_id', '=', 'r.tenant_id'))
      .select([...INFO_COLUMNS, 'c.id as cdr_id'])
      .where('r.tenant_id', '=', tenantId)
      .where('r.id', '=', id)
      .executeTakeFirst(),
  );
  if (!row || (ownExtensionId && row.extension_id !== ownExtensionId)) throw new NotFoundError('recording');
  return row;
}

/**
 * A recording's WAV file.
 * @throws NotFoundError `recording` (none, another extension's for an agent, or no audio kept)
 */
export async function getRecordingAudio(store: Store, tenantId: string, id: string, ownExtensionId: string | null = null): Promise<Buffer> {
  const row = await store.withTenant(tenantId, (trx) =>
    trx.selectFrom('recordings').select(['content', 'extension_id']).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst(),
  );
  if (!row?.content || (ownExtensionId && row.extension_id !== ownExtensionId)) throw new NotFoundError('recording');
  // pg gives a Buffer, PGlite a Uint8Array
  return Buffer.isBuffer(row.content) ? row.content : Buffer.from(row.content);
}
