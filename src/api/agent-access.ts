/**
 * What a person with role `agent` may see and do in the routes it shares with keys and admins
 * (src/api/auth.ts `tenantOrAgent` gives `agentExtensionId`, its one linked extension):
 * - its own extension only: another extension's id answers 404, as if it did not exist;
 * - of its own extension it changes only AGENT_EXTENSION_FIELDS (do not disturb and call
 *   forwarding, its own phone's settings): any other field is a 403 naming it;
 * - its own calls only: a live call one of whose legs is its phone, or that names its extension
 *   (a click-to-call from it, its number as caller or destination).
 */
import type { Extension } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { getExtension } from '../domain/extension-store.js';
import type { Call } from '../esl/calls.js';
import { apiError, notFound } from './errors.js';

/** The extension fields an agent may change on its own extension. */
export const AGENT_EXTENSION_FIELDS: readonly string[] = ['doNotDisturb', 'forwardingEnabled', 'forwardingNumber'];

/** 404 `extension` unless `id` is the agent's own extension; nothing for everyone else (`agentExtensionId` null). */
export function requireOwnExtension(agentExtensionId: string | null, id: string): void {
  if (agentExtensionId && agentExtensionId !== id.toLowerCase()) throw notFound('extension');
}

/** 403 naming the first field of `body` an agent may not change. */
export function requireAgentFields(body: object): void {
  const field = Object.keys(body).find((k) => !AGENT_EXTENSION_FIELDS.includes(k));
  if (field) throw apiError('forbidden', `an agent changes only ${AGENT_EXTENSION_FIELDS.join(', ')} of its own extension`, field);
}

/** The agent's extension row (number and SIP username), to recognise its calls. @throws NotFoundError `extension` */
export const agentExtension = (store: Store, tenantId: string, agentExtensionId: string): Promise<Extension> => getExtension(store, tenantId, agentExtensionId);

/**
 * Whether `ext` takes part in `call`: a click-to-call from it, its number as caller or
 * destination, or a leg's Channel-Name `.../<sip username or number>@...` (`legNames`).
 */
export function isOwnCall(call: Call, legNames: readonly string[], ext: Pick<Extension, 'extension' | 'sip_username'>): boolean {
  const numbers = [ext.extension, ext.sip_username];
  if ([call.extension, call.callerNumber, call.destination].some((n) => n !== null && numbers.includes(n))) return true;
  return legNames.some((name) => numbers.some((n) => name.includes(`/${n}@`)));
}
