-- Change notices: every committed change to what FreeSWITCH is told (tenants, extensions, numbers,
-- trunks) sends NOTIFY switchplane_change '{"table": ..., "tenant_id": ...}'. Every Switchplane
-- instance listens and drops its cached lookups for that tenant. Identical notices in one
-- transaction are delivered once (PostgreSQL folds duplicate NOTIFY payloads).
create function switchplane_notify_change() returns trigger
  language plpgsql
  as $$
declare
  row_data jsonb := to_jsonb(coalesce(new, old));
begin
  perform pg_notify('switchplane_change', json_build_object(
    'table', tg_table_name,
    'tenant_id', case when tg_table_name = 'tenants' then row_data->>'id' else row_data->>'tenant_id' end
  )::text);
  return null;
end
$$;

create trigger tenants_notify after insert or update or delete on tenants
  for each row execute function switchplane_notify_change();
-- Registration and call-state columns, written by the ESL controller, are not configuration.
create trigger extensions_notify after insert or delete or update of
    tenant_id, extension, sip_username, password_enc, display_name, email, caller_id_name, caller_id_number,
    allowed_codecs, voicemail_enabled, voicemail_pin_enc, call_recording, call_forwarding_enabled,
    call_forwarding_number, do_not_disturb, max_concurrent_calls, registration_expiry, status
  on extensions for each row execute function switchplane_notify_change();
create trigger phone_numbers_notify after insert or update or delete on phone_numbers
  for each row execute function switchplane_notify_change();
create trigger trunks_notify after insert or delete or update of
    tenant_id, name, host, port, transport, username, password_enc, realm, from_user, from_domain, register,
    expire_seconds, retry_seconds, ping_seconds, caller_id_in_from, priority, max_channels, status
  on trunks for each row execute function switchplane_notify_change();
