-- Row-level security. The service never queries as the table owner or a superuser:
--   switchplane_app     read/write, sees only rows of the tenant named by the transaction setting
--                       switchplane.tenant_id (set with set_config(..., true) by withTenant()).
--   switchplane_lookup  read-only, sees every tenant: the mod_xml_curl path, which resolves a
--                       SIP domain or a DID to its tenant before it knows the tenant.
-- Both roles are NOLOGIN, NOBYPASSRLS and own nothing; the migrating user switches to them with SET ROLE.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'switchplane_app') then
    create role switchplane_app nologin nobypassrls;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'switchplane_lookup') then
    create role switchplane_lookup nologin nobypassrls;
  end if;
exception when duplicate_object or unique_violation then
  null; -- another database of the same cluster created it concurrently
end
$$;

do $$
begin
  execute format('grant switchplane_app, switchplane_lookup to %I', current_user);
exception when others then
  null; -- superusers and members already may SET ROLE
end
$$;

grant usage on schema public to switchplane_app, switchplane_lookup;
grant select, insert, update, delete on
  tenants, trunks, extensions, phone_numbers, ai_sessions, cdrs, recurring_calls, api_keys, audit_log
  to switchplane_app;
grant usage on all sequences in schema public to switchplane_app;
grant select on
  tenants, trunks, extensions, phone_numbers, ai_sessions, cdrs, recurring_calls, api_keys, audit_log
  to switchplane_lookup;

create function switchplane_current_tenant() returns uuid
  language sql stable
  as $$ select nullif(current_setting('switchplane.tenant_id', true), '')::uuid $$;

alter table tenants enable row level security;
create policy tenant_isolation on tenants to switchplane_app
  using (id = switchplane_current_tenant()) with check (id = switchplane_current_tenant());
create policy lookup_read on tenants for select to switchplane_lookup using (true);

do $$
declare t text;
begin
  foreach t in array array['trunks', 'extensions', 'phone_numbers', 'ai_sessions', 'cdrs',
                           'recurring_calls', 'api_keys', 'audit_log'] loop
    execute format('alter table %I enable row level security', t);
    execute format('create policy tenant_isolation on %I to switchplane_app
                      using (tenant_id = switchplane_current_tenant())
                      with check (tenant_id = switchplane_current_tenant())', t);
    execute format('create policy lookup_read on %I for select to switchplane_lookup using (true)', t);
  end loop;
end
$$;
