-- The W3 Suite guide's extension fields `encryptionEnabled` and `provisioningStatus`.
--
-- encryption_enabled: the extension's calls need SRTP. The directory user carries
-- rtp_secure_media=mandatory (src/xmlcurl/directory.ts), so FreeSWITCH refuses an offer or an
-- answer of the extension's phone without crypto (switch_core_media.c: "Crypto not negotiated but
-- required."). Off by default: a plain RTP phone keeps working until the customer asks for SRTP.
-- FreeSWITCH is told through the directory, so a change sends a change notice like the
-- extension's other settings (sql/003 lists its columns by name).
alter table extensions add column encryption_enabled boolean not null default false;

create trigger extensions_encryption_notify after update of encryption_enabled on extensions
  for each row when (old.encryption_enabled is distinct from new.encryption_enabled)
  execute function switchplane_notify_change();

-- provisioning_status (pending | provisioned | failed, sql/001) is the customer application's
-- record of its own provisioning; Switchplane stores and returns it and acts on `status` only.
-- The directory answers for an extension from the commit that creates it, so one created without
-- a value is `provisioned`, and so are the existing ones (no client could set the column before).
-- Not configuration: no change notice.
alter table extensions alter column provisioning_status set default 'provisioned';
update extensions set provisioning_status = 'provisioned' where provisioning_status = 'pending';
