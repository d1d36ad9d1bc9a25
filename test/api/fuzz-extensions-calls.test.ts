/**
 * Fuzzed requests (test/helpers/api-fuzz.ts) over the extension, recurring-call and call-control
 * write routes (click-to-call, hang up, transfer, against a fake event socket).
 */
import t from 'tap';
import { fuzzWriteRoutes, isExtensionOrCallRoute } from '../helpers/api-fuzz.js';

t.setTimeout(600_000); // 5,000 requests on each database

fuzzWriteRoutes(t, 'the extension, recurring-call and call routes', isExtensionOrCallRoute);
