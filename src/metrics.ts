/**
 * Prometheus metrics (prom-client), served at `GET /metrics`. One registry per app instance so
 * tests and benches can run several apps in one process.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** mod_xml_curl lookups by section and result (found | not_found | failed | timeout | denied). */
  xmlcurlLookups: Counter<'section' | 'result'>;
  /** Lookup handling time in seconds, by section. */
  xmlcurlDuration: Histogram<'section'>;
}

export function createMetrics(withDefaults = false): Metrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'switchplane_' });
  return {
    registry,
    xmlcurlLookups: new Counter({
      name: 'switchplane_xmlcurl_lookups_total',
      help: 'mod_xml_curl lookups answered, by section and result',
      labelNames: ['section', 'result'],
      registers: [registry],
    }),
    xmlcurlDuration: new Histogram({
      name: 'switchplane_xmlcurl_lookup_seconds',
      help: 'Time to answer a mod_xml_curl lookup',
      labelNames: ['section'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers: [registry],
    }),
  };
}
