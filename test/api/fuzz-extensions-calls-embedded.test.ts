/**
 * Fuzzed requests (test/helpers/api-fuzz.ts) over the extension, recurring-call and call-control
 * write routes (click-to-call, hang up, transfer, against a fake event socket),
 * on the embedded database.
 * (test/api/fuzz-extensions-calls-postgres.test.ts: the same on the other database.)
 */
import t from 'tap';
import { fuzzWriteRoutes, isExtensionOrCallRoute } from '../helpers/api-fuzz.js';

t.setTimeout(300_000); // 5,000 requests

fuzzWriteRoutes(t, 'the extension, recurring-call and call routes', isExtensionOrCallRoute, 'pglite');
