-- FreeSWITCH nodes as records (src/domain/freeswitch-nodes.ts): the nodes Switchplane keeps an
-- event socket to, registered through the operator API (/api/v1/nodes) or seeded from ESL_NODES
-- at start. A node is no tenant's: the table has no tenant column and no row-level security, and
-- only switchplane_operator reads or writes it.
--
-- esl_password_sealed: mod_event_socket's password, sealed with the SecretBox
-- (src/domain/secrets.ts SEALED_COLUMNS), never answered by the API nor logged.
-- sip_addresses: the node's SIP addresses (host or host:port), for operators and trunk ACLs.
-- The heartbeat columns are what the node's last HEARTBEAT event said (switch_core.c
-- send_heartbeat: Session-Count, Session-Peak-Max, Max-Sessions, Idle-CPU, Uptime-msec), written
-- by the instance that holds the node's event socket; heartbeat_at is when it was written.
create table freeswitch_nodes (
  id uuid primary key default gen_random_uuid(),
  name text not null unique check (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
  esl_host text not null check (length(esl_host) between 1 and 253),
  esl_port integer not null check (esl_port between 1 and 65535),
  esl_password_sealed text not null,
  sip_addresses text[] not null default '{}',
  enabled boolean not null default true,
  session_count integer,
  session_peak_max integer,
  max_sessions integer,
  idle_cpu double precision,
  uptime_seconds bigint,
  heartbeat_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

grant select, insert, update, delete on freeswitch_nodes to switchplane_operator;
grant select (id, esl_password_sealed), update (esl_password_sealed) on freeswitch_nodes to switchplane_secrets;
