/**
 * Fuzzed requests (test/helpers/api-fuzz.ts) over the operator's write routes: customers, API
 * keys, trunks (and their test), phone numbers (and their SIP trunk).
 */
import t from 'tap';
import { fuzzWriteRoutes, isExtensionOrCallRoute } from '../helpers/api-fuzz.js';

t.setTimeout(600_000); // 5,000 requests on each database

fuzzWriteRoutes(t, 'the customer, API key, trunk and number routes', (route) => !isExtensionOrCallRoute(route));
