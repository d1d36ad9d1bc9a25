-- Voicemail messages' audio (src/domain/voicemail-audio.ts): the WAV of what a caller said after
-- mod_voicemail's beep, streamed by a mono mod_audio_stream fork of the caller's channel from the
-- start of the recording to its end (src/esl/voicemail-recording.ts, src/media/voicemail-capture.ts),
-- kept in the database so that every Switchplane instance serves it whatever FreeSWITCH node holds
-- the message. `message_uuid` is mod_voicemail's message UUID (`VM-Message-UUID`), which is the
-- caller's channel Unique-ID; `extension_id` the extension whose mailbox holds it. `status`:
-- `complete` when the fork ended with the recording (or the call), `partial` when it ended early
-- (the socket dropped, Switchplane shut down) and only the audio received so far is kept, with
-- `failure_reason`. A fork that sent no audio stores no row. Audio facts: `duration_ms` of audio in
-- `content`, `bytes` of `content`, `sample_rate` (Hz) and `channels` (1: the caller). Under
-- row-level security like every tenant-owned table; the extension must be the tenant's own (as in
-- sql/005), and its deletion deletes its messages' audio.
create table voicemail_audio (
  tenant_id uuid not null references tenants(id) on delete cascade,
  message_uuid text not null check (length(message_uuid) between 1 and 64),
  extension_id uuid not null,
  status text not null check (status in ('complete', 'partial')),
  failure_reason text,
  started_at timestamptz not null,
  ended_at timestamptz not null,
  duration_ms integer not null check (duration_ms >= 0),
  bytes integer not null check (bytes > 0),
  sample_rate integer not null check (sample_rate in (8000, 16000)),
  channels integer not null check (channels in (1, 2)),
  content bytea not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, message_uuid),
  constraint voicemail_audio_tenant_id_extension_id_fkey
    foreign key (tenant_id, extension_id) references extensions (tenant_id, id) on delete cascade
);
create index voicemail_audio_tenant_extension on voicemail_audio (tenant_id, extension_id);

grant select, insert, update, delete on voicemail_audio to switchplane_app;

alter table voicemail_audio enable row level security;
create policy tenant_isolation on voicemail_audio to switchplane_app
  using (tenant_id = switchplane_current_tenant()) with check (tenant_id = switchplane_current_tenant());
