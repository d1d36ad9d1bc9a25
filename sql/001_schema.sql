-- Switchplane data model. Every tenant-owned row carries tenant_id; row-level security (002) isolates them.
-- Times are UTC timestamptz; durations are integer seconds.

create table tenants (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  -- A DNS name: it becomes the dialplan context and goes unquoted into dial strings.
  sip_domain text not null unique check (sip_domain ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$'),
  timezone text not null default 'UTC',
  max_concurrent_calls integer not null default 10 check (max_concurrent_calls >= 1),
  status text not null default 'active' check (status in ('active', 'suspended', 'inactive')),
  crm_webhook_url text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table trunks (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants(id) on delete cascade,
  name text not null,
  provider text,
  host text not null check (host ~ '^[A-Za-z0-9.:\[\]-]{1,253}$'),
  port integer not null default 5060 check (port between 1 and 65535),
  transport text not null default 'udp' check (transport in ('udp', 'tcp', 'tls')),
  username text,
  password_enc text,
  realm text,
  from_user text,
  from_domain text,
  register boolean not null default false,
  expire_seconds integer not null default 3600 check (expire_seconds >= 5),
  retry_seconds integer not null default 30 check (retry_seconds >= 5),
  ping_seconds integer check (ping_seconds is null or ping_seconds >= 5),
  caller_id_in_from boolean not null default false,
  priority integer not null default 1 check (priority between 1 and 100),
  max_channels integer not null default 10 check (max_channels >= 1),
  status text not null default 'active' check (status in ('active', 'inactive', 'maintenance')),
  registration_state text not null default 'unknown',
  ping_status text,
  last_error text,
  last_registered_at timestamptz,
  total_calls bigint not null default 0,
  successful_calls bigint not null default 0,
  failed_calls bigint not null default 0,
  current_channels integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, name)
);
create index trunks_tenant_priority on trunks (tenant_id, priority);

create table extensions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants(id) on delete cascade,
  extension text not null check (extension ~ '^[0-9]{2,10}$'),
  -- Goes unquoted into dial strings (`user/<name>@<domain>`, `sofia_contact(*/<name>@<domain>)`).
  sip_username text not null check (sip_username ~ '^[A-Za-z0-9._-]{1,64}$'),
  password_enc text not null,
  user_id text,
  display_name text,
  email text,
  caller_id_name text,
  caller_id_number text,
  allowed_codecs text[] not null default array['PCMU', 'PCMA', 'OPUS'],
  voicemail_enabled boolean not null default false,
  voicemail_pin_enc text,
  call_recording boolean not null default false,
  call_forwarding_enabled boolean not null default false,
  call_forwarding_number text,
  do_not_disturb boolean not null default false,
  max_concurrent_calls integer not null default 2 check (max_concurrent_calls >= 1),
  registration_expiry integer not null default 3600 check (registration_expiry >= 60),
  status text not null default 'active' check (status in ('active', 'inactive', 'suspended')),
  provisioning_status text not null default 'pending' check (provisioning_status in ('pending', 'provisioned', 'failed')),
  registered boolean not null default false,
  last_registration_at timestamptz,
  user_agent text,
  registered_ip text,
  registered_port integer,
  contact text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, extension),
  unique (tenant_id, sip_username)
);

create table phone_numbers (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants(id) on delete cascade,
  number text not null unique check (number ~ '^\+[1-9][0-9]{6,14}$'),
  trunk_id uuid references trunks(id) on delete set null,
  description text,
  incoming_enabled boolean not null default true,
  outbound_enabled boolean not null default true,
  route text not null default 'extension' check (route in ('extension', 'ai_agent', 'forward')),
  route_target text,
  ai_agent_profile text,
  business_hours jsonb,
  failover_extension text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index phone_numbers_tenant on phone_numbers (tenant_id);

create table ai_sessions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants(id) on delete cascade,
  call_id text not null unique,
  openai_session_id text,
  agent_profile text,
  caller_number text,
  did text,
  started_at timestamptz not null,
  ended_at timestamptz,
  duration_seconds integer,
  transcript jsonb not null default '[]'::jsonb,
  actions_taken jsonb not null default '[]'::jsonb,
  transfer_target text,
  transfer_reason text,
  failure_reason text,
  sentiment text check (sentiment in ('positive', 'neutral', 'negative')),
  satisfaction_score integer check (satisfaction_score between 1 and 5),
  created_at timestamptz not null default now()
);

create table cdrs (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants(id) on delete cascade,
  unique_id text not null unique,
  other_leg_unique_id text,
  direction text not null check (direction in ('inbound', 'outbound', 'internal')),
  call_type text not null default 'voice' check (call_type in ('voice', 'ai_voice', 'transfer')),
  caller_number text,
  caller_name text,
  called_number text,
  called_name text,
  start_at timestamptz not null,
  answer_at timestamptz,
  end_at timestamptz,
  duration_seconds integer not null default 0,
  billsec integer not null default 0,
  hangup_cause text,
  sip_status integer,
  disposition text not null check (disposition in ('ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CANCELLED')),
  trunk_id uuid references trunks(id) on delete set null,
  extension_id uuid references extensions(id) on delete set null,
  recording_url text,
  ai_session_id uuid references ai_sessions(id) on delete set null,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index cdrs_tenant_start on cdrs (tenant_id, start_at desc);

create table recurring_calls (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants(id) on delete cascade,
  extension_id uuid not null references extensions(id) on delete cascade,
  destination_number text not null,
  frequency text not null check (frequency in ('daily', 'weekly', 'monthly')),
  time_of_day text not null check (time_of_day ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  day_of_week integer check (day_of_week between 0 and 6),
  day_of_month integer check (day_of_month between 1 and 31),
  timezone text not null,
  enabled boolean not null default true,
  next_execution_at timestamptz,
  last_execution_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index recurring_calls_due on recurring_calls (next_execution_at) where enabled;

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid references tenants(id) on delete cascade,
  name text not null,
  key_prefix text not null,
  key_hash text not null unique,
  scopes text[] not null,
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

create table audit_log (
  id bigint generated always as identity primary key,
  tenant_id uuid references tenants(id) on delete cascade,
  actor text not null,
  action text not null,
  resource_type text not null,
  resource_id text,
  before jsonb,
  after jsonb,
  created_at timestamptz not null default now()
);
create index audit_log_tenant_created on audit_log (tenant_id, created_at desc);
