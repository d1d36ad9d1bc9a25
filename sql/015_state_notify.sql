-- State notices: a phone's registration (extensions) or a gateway's state (trunks) as FreeSWITCH
-- reports it changed: NOTIFY switchplane_state '{"table": ..., "tenant_id": ...}', on a channel of
-- its own so that the configuration listeners of switchplane_change (sql/003) do not reload for it.
-- The live view of the portal (GET /api/v1/live) listens. Only a change that shows there sends a
-- notice: a phone refreshing the same binding, or a gateway pinged with the same result, does not.
create function switchplane_notify_state() returns trigger
  language plpgsql
  as $$
begin
  perform pg_notify('switchplane_state', json_build_object('table', tg_table_name, 'tenant_id', new.tenant_id)::text);
  return null;
end
$$;

create trigger extensions_state_notify after update of registered, registered_node, contact, user_agent, registered_ip, registered_port
  on extensions for each row
  when (old.registered is distinct from new.registered or old.registered_node is distinct from new.registered_node
    or old.contact is distinct from new.contact or old.user_agent is distinct from new.user_agent
    or old.registered_ip is distinct from new.registered_ip or old.registered_port is distinct from new.registered_port)
  execute function switchplane_notify_state();

create trigger trunks_state_notify after update of registration_state, ping_status, last_error, last_registered_at
  on trunks for each row
  when (old.registration_state is distinct from new.registration_state or old.ping_status is distinct from new.ping_status
    or old.last_error is distinct from new.last_error or old.last_registered_at is distinct from new.last_registered_at)
  execute function switchplane_notify_state();
