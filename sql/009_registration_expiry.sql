-- When a phone's registration runs out unless the phone refreshes it: the register event's time
-- plus its `expires` (seconds, sofia::register), or the seconds left that sofia lists
-- (`expsecs`) when the tracker reconciles (src/esl/registrations.ts). The API shows it as
-- `registration.expiresAt`.
--
-- Grants: switchplane_app and switchplane_lookup read extensions through table-level privileges
-- (002), which cover a new column; switchplane_ingest writes the registration columns through
-- column grants (006), so it is granted this one too.
alter table extensions add column registration_expires_at timestamptz;
grant update (registration_expires_at) on extensions to switchplane_ingest;
