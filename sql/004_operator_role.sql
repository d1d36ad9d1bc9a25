-- The operator role: what an `admin` API key does that is not inside one tenant. It creates,
-- lists and suspends tenants, and manages API keys (admin keys have no tenant) and their audit
-- rows. It sees nothing of a tenant's trunks, numbers, extensions or calls: an admin acting on
-- those goes through switchplane_app with that tenant's setting, like the tenant itself.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'switchplane_operator') then
    create role switchplane_operator nologin nobypassrls;
  end if;
exception when duplicate_object or unique_violation then
  null; -- another database of the same cluster created it concurrently
end
$$;

do $$
begin
  execute format('grant switchplane_operator to %I', current_user);
exception when others then
  null; -- superusers and members already may SET ROLE
end
$$;

grant select, insert, update on tenants, api_keys to switchplane_operator;
grant select, insert on audit_log to switchplane_operator;
grant usage on all sequences in schema public to switchplane_operator;

create policy operator_all on tenants to switchplane_operator using (true) with check (true);
create policy operator_all on api_keys to switchplane_operator using (true) with check (true);
create policy operator_all on audit_log to switchplane_operator using (true) with check (true);
