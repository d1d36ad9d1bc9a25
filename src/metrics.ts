/**
 * Prometheus metrics (prom-client), served at `GET /metrics`. One registry per app instance so
 * tests and benches can run several apps in one process. Durations are in seconds, as
 * Prometheus names them.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** mod_xml_curl lookups by section and result (found | not_found | failed | timeout | denied). */
  xmlcurlLookups: Counter<'section' | 'result'>;
  /** Lookup handling time in seconds, by section. */
  xmlcurlDuration: Histogram<'section'>;
  /** ESL events received, by node, event name (CUSTOM as its subclass) and result (handled | ignored | malformed | failed). */
  eslEvents: Counter<'node' | 'event' | 'result'>;
  /** ESL links lost and reopened, by node. */
  eslReconnects: Counter<'node'>;
  /** Calls that ended (one per CDR leg), by direction and disposition. */
  calls: Counter<'direction' | 'disposition'>;
  /** Call duration (start to end) in seconds, by direction. */
  callDuration: Histogram<'direction'>;
  /** CDR rows written, by source (esl | json_cdr | spool) and result (inserted | merged | unattributed | rejected | refused). */
  cdrsWritten: Counter<'source' | 'result'>;
  /**
   * CDRs refused because their Unique-ID is stored for another tenant or was reported by another
   * FreeSWITCH node (src/domain/cdrs.ts), by source and reason (tenant | node).
   */
  cdrConflicts: Counter<'source' | 'reason'>;
  /** Time from a CDR's hangup event to its row committed, seconds. */
  cdrWriteLatency: Histogram;
  /** CDRs accepted and not yet committed (in memory or only in the spool). */
  cdrQueueDepth: Gauge;
  /** Failures by kind (cdr_write, registration, gateway_state, channel, call_control, ai_agent, ...). */
  errors: Counter<'kind'>;
  /**
   * AI agent sessions that ended, by outcome (transferred | hung_up | caller_hangup | failover) and
   * failover reason (src/media/agent-call-end.ts FAILOVER_REASONS: openai_unreachable, openai_timeout, media_timeout, ...; `none` otherwise).
   */
  aiSessions: Counter<'outcome' | 'reason'>;
  /** AI agent calls in progress. */
  aiActiveCalls: Gauge;
  /** Lateness of audio frames leaving the AI agent's playout toward FreeSWITCH (release − due), seconds. */
  aiPlayoutLateness: Histogram;
  /** Open live-update streams (`GET /api/v1/live`, Server-Sent Events). */
  /** Call recordings by result (src/media/recording-capture.ts). */
  recordings: Counter<'result'>;
  liveStreams: Gauge;
  /**
   * A FreeSWITCH node's last HEARTBEAT, set by the instance holding its event socket: figure
   * session_count | session_peak_max | max_sessions | idle_cpu (percent) | uptime_seconds.
   */
  freeswitchNode: Gauge<'node' | 'figure'>;
  /** 1 for each FreeSWITCH node whose event socket this instance holds (its lease, src/esl/node-ownership.ts). */
  nodesOwned: Gauge<'node'>;
}

export function createMetrics(withDefaults = false): Metrics {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry, prefix: 'switchplane_' });
  const registers = [registry];
  return {
    registry,
    xmlcurlLookups: new Counter({
      name: 'switchplane_xmlcurl_lookups_total',
      help: 'mod_xml_curl lookups answered, by section and result',
      labelNames: ['section', 'result'],
      registers,
    }),
    xmlcurlDuration: new Histogram({
      name: 'switchplane_xmlcurl_lookup_seconds',
      help: 'Time to answer a mod_xml_curl lookup',
      labelNames: ['section'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
      registers,
    }),
    eslEvents: new Counter({
      name: 'switchplane_esl_events_total',
      help: 'Event socket events received, by node, event and result',
      labelNames: ['node', 'event', 'result'],
      registers,
    }),
    eslReconnects: new Counter({
      name: 'switchplane_esl_reconnects_total',
      help: 'Event socket links lost, by node',
      labelNames: ['node'],
      registers,
    }),
    calls: new Counter({
      name: 'switchplane_calls_total',
      help: 'Call legs ended, by direction and disposition',
      labelNames: ['direction', 'disposition'],
      registers,
    }),
    callDuration: new Histogram({
      name: 'switchplane_call_duration_seconds',
      help: 'Call leg duration from start to end',
      labelNames: ['direction'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
    }),
    cdrsWritten: new Counter({
      name: 'switchplane_cdrs_written_total',
      help: 'CDR rows written, by source and result',
      labelNames: ['source', 'result'],
      registers,
    }),
    cdrConflicts: new Counter({
      name: 'switchplane_cdr_conflicts_total',
      help: 'CDRs refused because their Unique-ID is stored for another tenant or node, by source and reason',
      labelNames: ['source', 'reason'],
      registers,
    }),
    cdrWriteLatency: new Histogram({
      name: 'switchplane_cdr_write_latency_seconds',
      help: 'Time from the hangup event to the CDR row committed',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300],
      registers,
    }),
    cdrQueueDepth: new Gauge({
      name: 'switchplane_cdr_queue_depth',
      help: 'CDRs accepted and not yet committed to the database',
      registers,
    }),
    errors: new Counter({
      name: 'switchplane_errors_total',
      help: 'Failures by kind',
      labelNames: ['kind'],
      registers,
    }),
    aiSessions: new Counter({
      name: 'switchplane_ai_sessions_total',
      help: 'AI agent sessions ended, by outcome and failover reason',
      labelNames: ['outcome', 'reason'],
      registers,
    }),
    aiActiveCalls: new Gauge({
      name: 'switchplane_ai_active_calls',
      help: 'AI agent calls in progress',
      registers,
    }),
    aiPlayoutLateness: new Histogram({
      name: 'switchplane_ai_playout_lateness_seconds',
      help: 'Lateness of AI agent audio frames toward FreeSWITCH (release minus due time)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1],
      registers,
    }),
    recordings: new Counter({
      name: 'switchplane_recordings_total',
      help: 'Call recordings by result: complete, partial (audio kept up to an early end), failed (no audio), lost (not stored before shutdown)',
      labelNames: ['result'],
      registers,
    }),
    liveStreams: new Gauge({
      name: 'switchplane_live_streams',
      help: 'Open live-update streams (GET /api/v1/live, Server-Sent Events)',
      registers,
    }),
    freeswitchNode: new Gauge({
      name: 'switchplane_freeswitch_node',
      help: 'A FreeSWITCH node\'s last HEARTBEAT figures (session_count, session_peak_max, max_sessions, idle_cpu percent, uptime_seconds), from the instance holding its event socket',
      labelNames: ['node', 'figure'],
      registers,
    }),
    nodesOwned: new Gauge({
      name: 'switchplane_freeswitch_node_owned',
      help: '1 for each FreeSWITCH node whose event socket this instance holds',
      labelNames: ['node'],
      registers,
    }),
  };
}
