/**
 * Fuzzed requests (test/helpers/api-fuzz.ts) over the operator's write routes: customers, API
 * keys, trunks (and their test), phone numbers (and their SIP trunk),
 * on the embedded database.
 * (test/api/fuzz-customers-trunks-numbers-postgres.test.ts: the same on the other database.)
 */
import t from 'tap';
import { fuzzWriteRoutes, isExtensionOrCallRoute } from '../helpers/api-fuzz.js';

t.setTimeout(300_000); // 5,000 requests

fuzzWriteRoutes(t, 'the customer, API key, trunk and number routes', (route) => !isExtensionOrCallRoute(route), 'pglite');
