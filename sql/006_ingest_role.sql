-- The ingest role: what FreeSWITCH reports over the event socket and mod_json_cdr, which arrives
-- for every tenant at once. switchplane_ingest (NOLOGIN, NOBYPASSRLS) writes CDRs of any tenant,
-- the registration columns of extensions and the state and counter columns of trunks, and reads
-- only the columns it needs to attribute an event to a tenant. It cannot read passwords, change
-- configuration, or touch API keys and the audit log. Column grants do the narrowing; the
-- ingest_all policies let it act across tenants, as FreeSWITCH does.
-- Creates a NOLOGIN, NOBYPASSRLS role once per cluster (roles are shared by its databases) and
-- lets the migrating user SET ROLE to it. Later migrations create their roles with it too.
create function switchplane_ensure_role(role_name text) returns void
  language plpgsql
  as $$
begin
  begin
    if not exists (select 1 from pg_roles where rolname = role_name) then
      execute format('create role %I nologin nobypassrls', role_name);
    end if;
  exception when duplicate_object or unique_violation then
    null; -- another database of the same cluster created it concurrently
  end;
  begin
    execute format('grant %I to %I', role_name, current_user);
  exception when others then
    null; -- superusers and members already may SET ROLE
  end;
end
$$;
revoke execute on function switchplane_ensure_role(text) from public;

select switchplane_ensure_role('switchplane_ingest');

-- Which FreeSWITCH node (ESL_NODES name) holds an extension's registration, so that a node's
-- reconnect reconciles only what that node reported.
alter table extensions add column registered_node text;

-- A CDR whose tenant could not be told (no accountcode, unknown domain and DID), or whose row the
-- database refused, is kept here with the reason instead of being dropped.
create table unattributed_cdrs (
  unique_id text primary key,
  reason text not null,
  record jsonb not null,
  received_at timestamptz not null default now()
);

-- The CDR API filters by these within a tenant and date range.
create index cdrs_tenant_direction_start on cdrs (tenant_id, direction, start_at desc);
create index cdrs_tenant_trunk_start on cdrs (tenant_id, trunk_id, start_at desc);
create index cdrs_tenant_extension_start on cdrs (tenant_id, extension_id, start_at desc);

-- A CDR's trunk and extension must be its own tenant's (foreign-key checks bypass RLS).
alter table extensions add constraint extensions_tenant_id_id_key unique (tenant_id, id);
alter table cdrs drop constraint cdrs_trunk_id_fkey;
alter table cdrs add constraint cdrs_trunk_same_tenant_fkey
  foreign key (tenant_id, trunk_id) references trunks (tenant_id, id) on delete set null (trunk_id);
alter table cdrs drop constraint cdrs_extension_id_fkey;
alter table cdrs add constraint cdrs_extension_same_tenant_fkey
  foreign key (tenant_id, extension_id) references extensions (tenant_id, id) on delete set null (extension_id);

grant usage on schema public to switchplane_ingest;
grant select (id, sip_domain, status) on tenants to switchplane_ingest;
grant select (id, tenant_id, extension, sip_username, status, registered, registered_node) on extensions to switchplane_ingest;
grant update (registered, last_registration_at, user_agent, registered_ip, registered_port, contact, registered_node)
  on extensions to switchplane_ingest;
grant select (id, tenant_id, name, status, registration_state, ping_status, last_error, last_registered_at,
              total_calls, successful_calls, failed_calls, current_channels)
  on trunks to switchplane_ingest;
grant update (registration_state, ping_status, last_error, last_registered_at, total_calls, successful_calls,
              failed_calls, current_channels)
  on trunks to switchplane_ingest;
grant select (id, tenant_id, number) on phone_numbers to switchplane_ingest;
grant select (id, tenant_id, call_id) on ai_sessions to switchplane_ingest;
grant select, insert, update on cdrs to switchplane_ingest;
grant select, insert, update on unattributed_cdrs to switchplane_ingest;
grant select on unattributed_cdrs to switchplane_operator;

create policy ingest_read on tenants for select to switchplane_ingest using (true);
create policy ingest_read on phone_numbers for select to switchplane_ingest using (true);
create policy ingest_read on ai_sessions for select to switchplane_ingest using (true);
create policy ingest_all on extensions to switchplane_ingest using (true) with check (true);
create policy ingest_all on trunks to switchplane_ingest using (true) with check (true);
create policy ingest_all on cdrs to switchplane_ingest using (true) with check (true);
