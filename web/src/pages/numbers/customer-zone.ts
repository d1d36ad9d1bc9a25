/**
 * The customer's IANA time zone (the customer record's `timezone`), in which business hours are
 * kept and judged. The customer is the logged-in admin's own, or the one an operator chose.
 */
import { api, unwrap } from '../../api/client';

/** @throws ApiError when the customer cannot be read; Error when there is no customer */
export async function customerTimeZone(customerId: string | null): Promise<string> {
  if (!customerId) throw new Error('no customer chosen');
  return unwrap(await api.GET('/api/v1/customers/{customerId}', { params: { path: { customerId } } })).data.timezone;
}
