/**
 * V8 settings Switchplane runs with, applied at start by whatever hosts the app (src/main.ts, the
 * lookup bench).
 *
 * Allocation-site pretenuring is off. V8 watches which object literals survive young-generation
 * collections and, for sites where most do, allocates later objects of that site straight in the
 * old generation (heap/pretenuring-handler.cc). Loading the tenant cache at start (100,000
 * extensions read from the database, their answers rendered) makes many sites look long-lived; the
 * lookups that follow then put their short-lived objects in the old generation, and the young
 * objects those point to survive every scavenge with them. Measured with 10,000 tenants × 10
 * extensions (`npm run bench:xmlcurl`): two thirds of each 16 MB young generation survived, each
 * scavenge took 10–18 ms instead of 1–2, the old generation grew from 190 to 740 MB between full
 * collections, and GC was a fifth of the lookup process's busy time; with pretenuring off the
 * directory went from 0.54 to 0.81 of the ceiling and the dialplan from 0.61 to 1.01, p99 from 17–18
 * ms to 4–5 ms. The cost is that the long-lived objects of the start-up load are copied once more.
 */
import { setFlagsFromString } from 'node:v8';

/** Applies the flags; takes effect for allocation sites V8 has not yet decided on. */
export function applyV8Flags(): void {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
