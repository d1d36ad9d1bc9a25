-- The lookup role reads only what FreeSWITCH is told. switchplane_lookup serves the mod_xml_curl
-- lookups, the lookup cache and the ESL reloader (src/xmlcurl/, src/domain/tenant-cache.ts,
-- src/domain/tenant-snapshot.ts, src/domain/tenants.ts listActiveDomains, src/domain/trunks.ts
-- listActiveGateways, src/esl/reload.ts): they read tenants, extensions, phone_numbers and trunks,
-- nothing else. 002 granted it every table of the schema then; API key hashes, the audit log,
-- CDRs, AI sessions (transcripts) and recurring calls are taken back here, with their
-- lookup_read policies. Tables added later are granted to it only by the migration that needs it.
revoke all on all tables in schema public from switchplane_lookup;
grant select on tenants, extensions, phone_numbers, trunks to switchplane_lookup;

drop policy if exists lookup_read on api_keys;
drop policy if exists lookup_read on audit_log;
drop policy if exists lookup_read on cdrs;
drop policy if exists lookup_read on ai_sessions;
drop policy if exists lookup_read on recurring_calls;
