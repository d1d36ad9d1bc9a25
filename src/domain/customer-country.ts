/**
 * The country a customer's numbers are read in (sql/020), for writers that normalise numbers
 * given to the API (src/domain/numbers.ts toE164): read in the writer's tenant transaction.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { NotFoundError } from './errors.js';
import { countryOf, type CountryCode } from './numbers.js';

/**
 * The customer's country, or null when it has none set.
 * @throws NotFoundError `customer` when tenant `tenantId` does not exist (or is not visible)
 */
export async function customerCountry(trx: Kysely<Database>, tenantId: string): Promise<CountryCode | null> {
  const tenant = await trx.selectFrom('tenants').select('country').where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) throw new NotFoundError('customer');
  return countryOf(tenant);
}
