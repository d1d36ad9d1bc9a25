/**
 * Who changes a tenant's records, and what the writes of trunks and phone numbers need.
 */
import type { Principal } from './api-keys.js';
import type { DestinationPolicy } from './destination-policy.js';
import type { SecretBox } from './secrets.js';

/**
 * What writing a trunk or phone number needs: the SecretBox that seals passwords and webhook
 * secrets, and the destination policy a tenant key's hosts are held to (an admin key's are not).
 */
export interface RecordWriting {
  secrets: SecretBox;
  destinations: DestinationPolicy;
}

/** Who acts on which tenant: the API key (audited as its prefix and name) and the tenant id. */
export interface TenantActor {
  principal: Principal;
  tenantId: string;
}
