/**
 * Whether a customer (tenant) exists, for requests that name one: an admin key may name any
 * UUID, and an empty list must not hide a customer that is not there.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { NotFoundError } from './errors.js';

/** @throws NotFoundError `customer not found` unless tenant `tenantId` exists. */
export async function requireCustomer(trx: Kysely<Database>, tenantId: string): Promise<void> {
  if (!(await trx.selectFrom('tenants').select('id').where('id', '=', tenantId).executeTakeFirst())) throw new NotFoundError('customer');
}
