-- Event webhooks (src/domain/event-webhooks.ts, src/http/webhook-worker.ts): a customer subscribes
-- URLs to events (call.started, call.answered, call.ended, registration.changed,
-- gateway.changed, ai_session.completed, recurring_call.executed, recording.saved,
-- recording.failed); each event becomes one delivery per matching subscription, queued here and
-- POSTed by the delivery worker of any instance, signed with the subscription's secret.
--
-- webhook_subscriptions: the URL, the events, and the signing secret sealed with the SecretBox
-- (src/domain/secrets.ts), answered by the API once, when the subscription is created.
--
-- webhook_deliveries: one event for one subscription. status: pending (due at next_attempt_at)
-- → delivering (claimed; next_attempt_at is then the end of the claim, after which another
-- worker takes it over, so a stopped instance loses nothing) → delivered (a 2xx answer) or
-- failed (attempts exhausted, or a destination the policy refuses). A replay is a new delivery of
-- the same event (same event_id) with replay_of naming the delivery replayed.
--
-- Emitting: `switchplane_emit_event(tenant, type, data)` (SECURITY DEFINER) inserts the
-- deliveries of one event for the enabled subscriptions of the tenant that take its type, in the
-- caller's transaction, for every role that reports events (switchplane_app, switchplane_ingest,
-- switchplane_scheduler, switchplane_operator). In a tenant's transaction
-- (`switchplane.tenant_id` set) it emits only for that tenant.
--
-- The API (switchplane_app) manages its tenant's subscriptions and reads their deliveries, and
-- inserts replays. The delivery worker runs as switchplane_operator, which acts on every tenant:
-- it reads the subscriptions it sends to and claims and updates deliveries.
create table webhook_subscriptions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants(id) on delete cascade,
  url text not null check (url ~ '^https?://[^[:space:][:cntrl:]/?#][^[:space:][:cntrl:]]*$' and char_length(url) <= 2048),
  events text[] not null check (
    cardinality(events) between 1 and 9
    and events <@ array['call.started', 'call.answered', 'call.ended', 'registration.changed', 'gateway.changed',
                        'ai_session.completed', 'recurring_call.executed', 'recording.saved', 'recording.failed']
  ),
  description text check (char_length(description) <= 500),
  enabled boolean not null default true,
  secret_sealed text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id)
);
create index webhook_subscriptions_tenant on webhook_subscriptions (tenant_id, created_at);

create table webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants(id) on delete cascade,
  webhook_id uuid not null,
  event_id uuid not null,
  event_type text not null,
  event_created_at timestamptz not null,
  data jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivering', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz,
  last_attempt_at timestamptz,
  response_status integer,
  last_error text,
  delivered_at timestamptz,
  replay_of uuid,
  created_at timestamptz not null default now(),
  foreign key (tenant_id, webhook_id) references webhook_subscriptions (tenant_id, id) on delete cascade
);
create index webhook_deliveries_due on webhook_deliveries (next_attempt_at) where status in ('pending', 'delivering');
create index webhook_deliveries_webhook on webhook_deliveries (webhook_id, created_at desc);

grant select, insert, update, delete on webhook_subscriptions to switchplane_app;
grant select, insert on webhook_deliveries to switchplane_app;
grant select (id, tenant_id, url, enabled, secret_sealed) on webhook_subscriptions to switchplane_operator;
grant select, update on webhook_deliveries to switchplane_operator;
grant select (id, secret_sealed), update (secret_sealed) on webhook_subscriptions to switchplane_secrets;

alter table webhook_subscriptions enable row level security;
alter table webhook_deliveries enable row level security;
create policy tenant_isolation on webhook_subscriptions to switchplane_app
  using (tenant_id = switchplane_current_tenant()) with check (tenant_id = switchplane_current_tenant());
create policy tenant_isolation on webhook_deliveries to switchplane_app
  using (tenant_id = switchplane_current_tenant()) with check (tenant_id = switchplane_current_tenant());
create policy operator_all on webhook_subscriptions for select to switchplane_operator using (true);
create policy operator_all on webhook_deliveries to switchplane_operator using (true) with check (true);
create policy secrets_all on webhook_subscriptions to switchplane_secrets using (true) with check (true);

create function switchplane_emit_event(p_tenant uuid, p_type text, p_data jsonb) returns integer
  language plpgsql
  security definer
  set search_path = public, pg_temp
  as $$
declare
  current_tenant text := nullif(current_setting('switchplane.tenant_id', true), '');
  event_id uuid := gen_random_uuid();
  event_at timestamptz := clock_timestamp();
  emitted integer;
begin
  if current_tenant is not null and current_tenant::uuid <> p_tenant then
    raise exception 'an event of tenant % emitted in a transaction of tenant %', p_tenant, current_tenant
      using errcode = '42501';
  end if;
  insert into webhook_deliveries (tenant_id, webhook_id, event_id, event_type, event_created_at, data, next_attempt_at)
    select s.tenant_id, s.id, event_id, p_type, event_at, p_data, event_at
    from webhook_subscriptions s
    where s.tenant_id = p_tenant and s.enabled and p_type = any (s.events);
  get diagnostics emitted = row_count;
  return emitted;
end
$$;
revoke execute on function switchplane_emit_event(uuid, text, jsonb) from public;
grant execute on function switchplane_emit_event(uuid, text, jsonb)
  to switchplane_app, switchplane_ingest, switchplane_scheduler, switchplane_operator;

-- registration.changed and gateway.changed, from what the ingest role writes (src/esl/registrations.ts,
-- src/esl/gateways.ts, through src/domain/registrations.ts and gateway-states.ts): a phone's
-- registration comes or goes (or moves to another node), a trunk's gateway changes state
-- (mod_sofia's REGED, FAIL_WAIT, ...) or ping status (UP, DOWN). Emitted in the writing
-- transaction, whichever path wrote it (an event, a reconcile, the sweep of a node's list).
create function switchplane_emit_state_event() returns trigger
  language plpgsql
  as $$
begin
  if tg_table_name = 'extensions' then
    perform switchplane_emit_event(new.tenant_id, 'registration.changed', jsonb_build_object(
      'extensionId', new.id, 'extension', new.extension, 'sipUsername', new.sip_username, 'registered', new.registered,
      'node', new.registered_node, 'contact', new.contact, 'userAgent', new.user_agent, 'ip', new.registered_ip,
      'port', new.registered_port, 'expiresAt', new.registration_expires_at, 'lastRegistrationAt', new.last_registration_at));
  else
    perform switchplane_emit_event(new.tenant_id, 'gateway.changed', jsonb_build_object(
      'trunkId', new.id, 'name', new.name, 'state', new.registration_state, 'previousState', old.registration_state,
      'pingStatus', new.ping_status, 'previousPingStatus', old.ping_status, 'lastError', new.last_error));
  end if;
  return null;
end
$$;

create trigger extensions_registration_event after update of registered, registered_node on extensions for each row
  when (old.registered is distinct from new.registered or old.registered_node is distinct from new.registered_node)
  execute function switchplane_emit_state_event();

create trigger trunks_gateway_event after update of registration_state, ping_status on trunks for each row
  when (old.registration_state is distinct from new.registration_state or old.ping_status is distinct from new.ping_status)
  execute function switchplane_emit_state_event();
