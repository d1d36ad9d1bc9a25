-- A phone number's own trunk: the trunk `configure_sip_trunk` (the AI receptionist guide) made for
-- that number. Configuring a number whose trunk is shared, or is a trunk of the customer's own
-- making (/api/v1/trunks), copies the trunk's settings into a new trunk of the number's own (one
-- more sofia gateway), so the other numbers keep theirs; only a number's own trunk is changed in place.
-- The key is composite so that PostgreSQL itself refuses a number of another tenant (foreign-key
-- checks run without row-level security, as in sql/005). Deleting the number leaves the trunk as
-- an ordinary trunk of the customer.
create unique index if not exists phone_numbers_tenant_id_id_key on phone_numbers (tenant_id, id);
alter table trunks add column phone_number_id uuid;
alter table trunks add constraint trunks_phone_number_same_tenant_fkey
  foreign key (tenant_id, phone_number_id) references phone_numbers (tenant_id, id) on delete set null (phone_number_id);
create unique index trunks_phone_number on trunks (phone_number_id) where phone_number_id is not null;

-- Trunks `configure_sip_trunk` made before are named `did-<digits>` and used by that number.
update trunks set phone_number_id = p.id
  from phone_numbers p
  where p.trunk_id = trunks.id and p.tenant_id = trunks.tenant_id and trunks.name = 'did-' || substr(p.number, 2);
