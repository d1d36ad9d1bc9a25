-- The secrets key check: one row holding an HMAC-SHA256 fingerprint of the key that sealed the
-- passwords at rest (src/domain/secrets.ts, SEALED_COLUMNS). It is written with the first key and
-- replaced when the key is rotated (scripts/rotate-secrets.ts). A start whose key does not match
-- it is refused, so that a lost or different key never seals new values next to ones it cannot
-- open. The fingerprint does not reveal the key.
create table secrets_key_check (
  id boolean primary key default true check (id),
  fingerprint text not null check (fingerprint ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now(),
  rotated_at timestamptz
);

-- switchplane_secrets (NOLOGIN, NOBYPASSRLS) reads and rewrites the sealed columns of every
-- tenant, and the key check: the key check at start and the key rotation. It reads nothing else.
select switchplane_ensure_role('switchplane_secrets');

grant usage on schema public to switchplane_secrets;
grant select, insert, update on secrets_key_check to switchplane_secrets;
grant select (id, password_enc), update (password_enc) on trunks to switchplane_secrets;
grant select (id, password_enc, voicemail_pin_enc), update (password_enc, voicemail_pin_enc) on extensions to switchplane_secrets;
grant select (id, crm_webhook_secret_sealed), update (crm_webhook_secret_sealed) on phone_numbers to switchplane_secrets;

create policy secrets_all on trunks to switchplane_secrets using (true) with check (true);
create policy secrets_all on extensions to switchplane_secrets using (true) with check (true);
create policy secrets_all on phone_numbers to switchplane_secrets using (true) with check (true);
