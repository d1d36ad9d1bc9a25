-- Outbound caller ID per trunk: a trunk presents one of its own numbers (phone_numbers.trunk_id)
-- on outbound calls, or, with allow_any_caller_id, the calling extension's configured caller ID
-- number as it is (a carrier that accepts any presentation number from this account).
-- src/domain/outbound-trunks.ts decides; FreeSWITCH is told through the dialplan, so a change
-- sends a change notice like the trunk's other settings (sql/003 lists its columns by name).
alter table trunks add column allow_any_caller_id boolean not null default false;

create trigger trunks_caller_id_notify after update of allow_any_caller_id on trunks
  for each row when (old.allow_any_caller_id is distinct from new.allow_any_caller_id)
  execute function switchplane_notify_change();
