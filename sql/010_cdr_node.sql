-- The FreeSWITCH node that reported a CDR. `core_uuid` is FreeSWITCH's `core-uuid` (a new one at
-- every start of FreeSWITCH, switch_core.c): the `Core-UUID` header of every event-socket event and
-- the top-level `core-uuid` of every mod_json_cdr document, so both reports of one leg carry the
-- same. `node` is the ESL_NODES name of the event socket the leg was reported on (null while only
-- mod_json_cdr has reported it). A report of a stored Unique-ID from another tenant or another
-- core_uuid is refused (src/cdr/rows.ts) and kept in unattributed_cdrs.
--
-- Grants: switchplane_ingest writes cdrs and unattributed_cdrs through table-level privileges
-- (006), which cover the new columns.
alter table cdrs add column core_uuid text;
alter table cdrs add column node text;

-- Every refused report is kept, not only the first one of a Unique-ID; a report written again
-- (a spool replayed after a crash) is still kept once.
alter table unattributed_cdrs drop constraint unattributed_cdrs_pkey;
alter table unattributed_cdrs add column id uuid not null default gen_random_uuid();
alter table unattributed_cdrs add primary key (id);
create unique index unattributed_cdrs_report on unattributed_cdrs (unique_id, md5(record::text));
