/**
 * Which customer's number a DID presented by a carrier in the `public` context is. The tenant is
 * not known until the DID is found, so its country cannot be used to read the DID; instead:
 * 1. the DID read without a country (src/domain/numbers.ts toE164: `+...`, `00...`, 8 to 15
 *    digits) that a customer owns wins, exactly as before countries existed;
 * 2. else the DID is read in the national format of each country set on a customer (sql/020),
 *    and a number found counts only when its owner is a customer of that country (a carrier in
 *    Italy presents an Italian customer's `+390510510510` as `0510510510`);
 * 3. when that finds numbers of two customers (the same digits are a valid national number in
 *    two countries that both have customers owning them), nobody gets the call: the caller
 *    hears UNALLOCATED_NUMBER and the reason names the numbers, rather than one customer
 *    receiving another's caller.
 */
import { countryOf, nationalToE164, toE164 } from './numbers.js';
import type { TenantCache } from './tenant-cache.js';
import type { LookupNumber, TenantSnapshot } from './tenant-snapshot.js';

export type DidLookup =
  | { kind: 'found'; snapshot: TenantSnapshot; number: LookupNumber }
  | { kind: 'none' }
  | { kind: 'ambiguous'; numbers: string[] };

/** The owner of `did` (E.164) and its record, when the snapshot already holds the number. */
async function owned(tenants: TenantCache, did: string): Promise<{ snapshot: TenantSnapshot; number: LookupNumber } | undefined> {
  const snapshot = await tenants.tenantByDid(did);
  // The snapshot may predate the number for the moment between its commit and the change notice.
  const number = snapshot?.numbers.find((n) => n.number === did);
  return snapshot && number ? { snapshot, number } : undefined;
}

/**
 * Finds the number `destination` (as the carrier sent it) names, as described above.
 * @returns `found`; `none` when no customer owns it; `ambiguous` with the E.164 numbers of two
 *   or more customers it reads as
 * @throws what the tenant cache's database read throws
 */
export async function findDid(tenants: TenantCache, destination: string): Promise<DidLookup> {
  const international = toE164(destination);
  const exact = international ? await owned(tenants, international) : undefined;
  if (exact) return { kind: 'found', ...exact };
  if (!/^\d+$/.test(destination)) return { kind: 'none' };

  const candidates = new Set<string>();
  for (const country of await tenants.countries()) {
    const e164 = nationalToE164(destination, country);
    if (e164 && e164 !== international) candidates.add(e164);
  }
  const found = (await Promise.all([...candidates].map((did) => owned(tenants, did)))).filter((hit): hit is NonNullable<typeof hit> => {
    const country = hit ? countryOf(hit.snapshot.tenant) : null;
    return country !== null && nationalToE164(destination, country) === hit!.number.number;
  });
  if (found.length === 1) return { kind: 'found', ...found[0]! };
  return found.length === 0 ? { kind: 'none' } : { kind: 'ambiguous', numbers: found.map((f) => f.number.number) };
}
