-- A phone number's trunk must belong to the number's own tenant. Foreign-key checks run without
-- row-level security, so a plain `references trunks(id)` would accept another tenant's trunk id;
-- the composite key makes PostgreSQL itself refuse it. Deleting a trunk still only clears the
-- number's trunk_id (ON DELETE SET NULL with a column list, PostgreSQL 15+).
alter table trunks add constraint trunks_tenant_id_id_key unique (tenant_id, id);
alter table phone_numbers drop constraint phone_numbers_trunk_id_fkey;
alter table phone_numbers add constraint phone_numbers_trunk_same_tenant_fkey
  foreign key (tenant_id, trunk_id) references trunks (tenant_id, id) on delete set null (trunk_id);
