-- Call recordings (src/domain/recordings.ts): the WAV that FreeSWITCH's media fork
-- (mod_audio_stream, stereo) streamed to Switchplane while the call was answered, kept in the
-- database so that every instance serves it. `id` is chosen when the dialplan starts the fork and
-- is what the CDR's recording_url names; `call_uuid` is the recorded leg's Unique-ID (the
-- `unique_id` of its CDR). `status`: `complete` when the fork ended with the call, `partial` when
-- it ended early (the socket dropped) and only the audio received so far is kept, `failed` when no
-- audio could be kept (`content` null), with `failure_reason`. Audio facts: `duration_ms` of audio
-- in `content`, `bytes` of `content`, `sample_rate` (Hz) and `channels` (2: left = what the
-- recorded leg's party said, right = what it heard). Under row-level security like every
-- tenant-owned table; the extension must be the tenant's own (as in sql/005).
create table recordings (
  id uuid primary key,
  tenant_id uuid not null references tenants(id) on delete cascade,
  call_uuid text not null check (length(call_uuid) between 1 and 64),
  extension_id uuid,
  status text not null check (status in ('complete', 'partial', 'failed')),
  failure_reason text,
  started_at timestamptz not null,
  ended_at timestamptz not null,
  duration_ms integer not null default 0 check (duration_ms >= 0),
  bytes integer not null default 0 check (bytes >= 0),
  sample_rate integer not null check (sample_rate in (8000, 16000)),
  channels integer not null check (channels in (1, 2)),
  content bytea,
  created_at timestamptz not null default now(),
  constraint recordings_tenant_id_extension_id_fkey
    foreign key (tenant_id, extension_id) references extensions (tenant_id, id) on delete set null (extension_id)
);
create index recordings_tenant_start on recordings (tenant_id, started_at desc);
create index recordings_tenant_call on recordings (tenant_id, call_uuid);

grant select, insert, update, delete on recordings to switchplane_app;

alter table recordings enable row level security;
create policy tenant_isolation on recordings to switchplane_app
  using (tenant_id = switchplane_current_tenant()) with check (tenant_id = switchplane_current_tenant());
