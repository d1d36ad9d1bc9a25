-- The lookup role reads only what FreeSWITCH is told. switchplane_lookup serves the mod_xml_curl
-- lookups, the lookup cache and the ESL reloader (src/xmlcurl/, src/domain/tenant-cache.ts,
-- src/domain/tenant-snapshot.ts, src/domain/tenants.ts listActiveDomains, src/domain/trunks.ts
-- listActiveGateways, src/esl/reload.ts): they read tenants, extensions, phone_numbers and trunks,
-- nothing else. 002 granted it every table of the schema then; API key hashes, the audit log,
-- CDRs, AI sessions (transcripts) and recurring calls are taken back here, with their
-- lookup_read policies. Tables added later are granted to it only by the migration that needs it.
-- Of phone_numbers, every column but the CRM webhook's signing secret (sql/008), which only the AI
-- agent reads (as the application role); a column added to phone_numbers later is not readable
-- until a migration grants it.
revoke all on all tables in schema public from switchplane_lookup;
grant select on tenants, extensions, trunks to switchplane_lookup;
grant select (id, tenant_id, number, trunk_id, description, incoming_enabled, outbound_enabled, route, route_target,
  ai_agent_profile, business_hours, failover_extension, crm_webhook_url, created_at, updated_at)
  on phone_numbers to switchplane_lookup;

drop policy if exists lookup_read on api_keys;
drop policy if exists lookup_read on audit_log;
drop policy if exists lookup_read on cdrs;
drop policy if exists lookup_read on ai_sessions;
drop policy if exists lookup_read on recurring_calls;
