-- Reverse authentication per extension: mod_sofia asks the directory with
-- action=reverse-auth-lookup for the credentials to answer a SIP challenge from a phone, and the
-- answer carries the extension's password (reverse-auth-pass). Only an extension with
-- reverse_auth gets them; every other one answers `not found` (src/xmlcurl/directory.ts).
--
-- Grants: switchplane_app and switchplane_lookup read and write extensions through table-level
-- privileges (002), which cover a new column.
alter table extensions add column reverse_auth boolean not null default false;

-- A change of the column is a configuration change (003): the lookup cache drops the tenant.
drop trigger extensions_notify on extensions;
create trigger extensions_notify after insert or delete or update of
    tenant_id, extension, sip_username, password_enc, display_name, email, caller_id_name, caller_id_number,
    allowed_codecs, voicemail_enabled, voicemail_pin_enc, call_recording, call_forwarding_enabled,
    call_forwarding_number, do_not_disturb, max_concurrent_calls, registration_expiry, status, reverse_auth
  on extensions for each row execute function switchplane_notify_change();
