-- The CRM webhook of a phone number: where the AI voice agent's `create_ticket` tool POSTs a
-- ticket for a call to this number (src/media/crm-webhook.ts), and the secret it signs the POST
-- with (X-Switchplane-Signature, HMAC-SHA256). The secret is stored sealed with the SecretBox
-- (src/domain/secrets.ts, `v1.<iv>.<tag>.<ciphertext>`), like trunk passwords, and is never
-- answered by the API (only `crmWebhookSecretSet`). A URL without a secret is refused: every
-- ticket is signed.
--
-- Grants: switchplane_app (read/write) and switchplane_lookup (read) hold table-level privileges
-- on phone_numbers (002), which cover columns added later; nothing to grant. switchplane_ingest
-- reads phone_numbers through column grants (006: id, tenant_id, number) and needs neither
-- column, so it is deliberately not granted them. switchplane_operator and switchplane_scheduler
-- have no access to phone_numbers.
alter table phone_numbers
  add column crm_webhook_url text
    constraint phone_numbers_crm_webhook_url_check check (
      crm_webhook_url ~ '^https?://[^[:space:][:cntrl:]/?#][^[:space:][:cntrl:]]*$'
      and char_length(crm_webhook_url) <= 2048
    ),
  add column crm_webhook_secret_sealed text,
  -- Named so that the API's constraint translation (src/api/errors.ts) names `crmWebhookSecret`.
  add constraint phone_numbers_crm_webhook_secret_check check (crm_webhook_url is null or crm_webhook_secret_sealed is not null);
