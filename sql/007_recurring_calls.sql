-- Recurring calls (src/scheduler/): the history of their executions and the scheduler role.
--
-- Every Switchplane instance runs the scheduler. An occurrence (recurring call, scheduled time)
-- is executed exactly once: the claim transaction locks due recurring_calls rows FOR UPDATE SKIP
-- LOCKED, inserts the occurrence here (unique per recurring call and time) with the call id the
-- originate will use and a lease, and advances next_execution_at, all committed before the
-- originate is sent. An instance that dies holding a lease leaves the row `claimed`; another
-- instance takes the lease over once it expires and originates the same call id again only when
-- no FreeSWITCH node knows that call id (`uuid_exists`) and no CDR has it.
--
-- switchplane_scheduler (NOLOGIN, NOBYPASSRLS) acts for every tenant, as the scheduler must: it
-- reads the schedule columns of recurring calls and advances their next and last execution,
-- reads what an originate needs of tenants and extensions and what an outcome needs of CDRs,
-- writes executions, and may add only `recurring_call_executed` rows to the audit log. It cannot
-- read passwords or change configuration. The API (switchplane_app) reads a tenant's executions.
select switchplane_ensure_role('switchplane_scheduler');

-- A recurring call's extension must be its own tenant's (foreign-key checks bypass RLS).
alter table recurring_calls add constraint recurring_calls_tenant_id_id_key unique (tenant_id, id);
alter table recurring_calls drop constraint recurring_calls_extension_id_fkey;
alter table recurring_calls add constraint recurring_calls_extension_same_tenant_fkey
  foreign key (tenant_id, extension_id) references extensions (tenant_id, id) on delete cascade;
create index recurring_calls_tenant_extension on recurring_calls (tenant_id, extension_id);

-- One row per occurrence. outcome: claimed (lease held, originate not confirmed) → originated
-- (FreeSWITCH took the originate) → answered | no_answer | busy | cancelled | failed, from the A
-- leg's CDR (disposition); failed also when the originate was refused or never sent; skipped
-- when the occurrence was missed because no instance ran at the time.
create table recurring_call_executions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants(id) on delete cascade,
  recurring_call_id uuid not null,
  scheduled_for timestamptz not null,
  -- The originate's origination_uuid, chosen at the claim: the A leg's Unique-ID and CDR key.
  call_id uuid not null unique,
  claimed_by text not null,
  claimed_at timestamptz not null,
  -- Until when claimed_by holds the claim; null once the outcome no longer depends on it.
  lease_expires_at timestamptz,
  -- Claims of this occurrence: 1, plus one per lease taken over from a stopped instance.
  attempts integer not null default 1,
  started_at timestamptz,
  finished_at timestamptz,
  outcome text not null check (outcome in ('claimed', 'originated', 'answered', 'no_answer', 'busy', 'cancelled', 'failed', 'skipped')),
  hangup_cause text,
  error text,
  cdr_id uuid references cdrs(id) on delete set null,
  unique (recurring_call_id, scheduled_for),
  foreign key (tenant_id, recurring_call_id) references recurring_calls (tenant_id, id) on delete cascade
);
create index recurring_call_executions_history on recurring_call_executions (recurring_call_id, scheduled_for desc);
create index recurring_call_executions_leases on recurring_call_executions (lease_expires_at) where outcome = 'claimed';
create index recurring_call_executions_awaiting_cdr on recurring_call_executions (claimed_at) where cdr_id is null;

grant select on recurring_call_executions to switchplane_app;
alter table recurring_call_executions enable row level security;
create policy tenant_isolation on recurring_call_executions to switchplane_app
  using (tenant_id = switchplane_current_tenant()) with check (tenant_id = switchplane_current_tenant());

grant usage on schema public to switchplane_scheduler;
grant select (id, sip_domain, status) on tenants to switchplane_scheduler;
grant select (id, tenant_id, extension, sip_username, status) on extensions to switchplane_scheduler;
grant select (id, tenant_id, extension_id, destination_number, frequency, time_of_day, day_of_week, day_of_month,
              timezone, enabled, next_execution_at, last_execution_at)
  on recurring_calls to switchplane_scheduler;
grant update (next_execution_at, last_execution_at) on recurring_calls to switchplane_scheduler;
grant select (id, tenant_id, unique_id, disposition, hangup_cause, end_at) on cdrs to switchplane_scheduler;
grant select, insert, update on recurring_call_executions to switchplane_scheduler;
grant insert on audit_log to switchplane_scheduler;

create policy scheduler_read on tenants for select to switchplane_scheduler using (true);
create policy scheduler_read on extensions for select to switchplane_scheduler using (true);
create policy scheduler_read on cdrs for select to switchplane_scheduler using (true);
create policy scheduler_all on recurring_calls to switchplane_scheduler using (true) with check (true);
create policy scheduler_all on recurring_call_executions to switchplane_scheduler using (true) with check (true);
create policy scheduler_executed on audit_log for insert to switchplane_scheduler
  with check (action = 'recurring_call_executed' and resource_type = 'recurring_call');
