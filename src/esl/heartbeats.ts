/**
 * A FreeSWITCH node's health and capacity from its HEARTBEAT events (switch_core.c
 * send_heartbeat, every 20 s by default: `Session-Count`, `Session-Peak-Max`, `Max-Sessions`,
 * `Idle-CPU` in percent, `Uptime-msec`), kept the way drachtio-fsmrf's MediaServer keeps them:
 * the latest figures per node. Each is stored on the node's record (src/domain/freeswitch-nodes.ts
 * `writeHeartbeat`, so every instance's API shows it), set in `/metrics`
 * (`switchplane_freeswitch_node`), and given to the EslNodes for placing new calls
 * (`setFreeSessions`). Writes are never made from `handle()`: the latest figures of each node wait
 * for the write before, so a slow database holds one pending write per node at most.
 */
import type { Store } from '../db/store.js';
import type { HeartbeatFigures } from '../domain/freeswitch-nodes.js';
import { writeHeartbeat } from '../domain/freeswitch-nodes.js';
import type { Metrics } from '../metrics.js';
import type { EslEvent } from './connection.js';
import type { EventHandler } from './controller.js';
import { field } from './events.js';
import type { EslNodes } from './nodes.js';

export interface HeartbeatDeps {
  store: Store;
  metrics: Metrics;
  nodes: Pick<EslNodes, 'setFreeSessions'>;
  onError: (err: unknown, context: { node: string }) => void;
}

const number = (event: EslEvent, name: string): number | null => {
  const n = Number(field(event, name));
  return field(event, name) !== undefined && Number.isFinite(n) ? n : null;
};

/** The figures of a HEARTBEAT event; a missing or unparsable header is null. */
export function heartbeatFigures(event: EslEvent): HeartbeatFigures {
  const uptimeMs = number(event, 'Uptime-msec');
  return {
    sessionCount: number(event, 'Session-Count'),
    sessionPeakMax: number(event, 'Session-Peak-Max'),
    maxSessions: number(event, 'Max-Sessions'),
    idleCpu: number(event, 'Idle-CPU'),
    uptimeSeconds: uptimeMs === null ? null : Math.floor(uptimeMs / 1000),
  };
}

const GAUGES: Array<[keyof HeartbeatFigures, string]> = [
  ['sessionCount', 'session_count'], ['sessionPeakMax', 'session_peak_max'], ['maxSessions', 'max_sessions'],
  ['idleCpu', 'idle_cpu'], ['uptimeSeconds', 'uptime_seconds'],
];

export class HeartbeatRecorder implements EventHandler {
  readonly events = ['HEARTBEAT'];
  private readonly latest = new Map<string, HeartbeatFigures>();
  private readonly writing = new Map<string, Promise<void>>();

  constructor(private readonly deps: HeartbeatDeps) {}

  handle(event: EslEvent, node: string): void {
    const f = heartbeatFigures(event);
    for (const [key, figure] of GAUGES) {
      const value = f[key];
      if (value !== null) this.deps.metrics.freeswitchNode.set({ node, figure }, value);
    }
    if (f.maxSessions !== null && f.sessionCount !== null) this.deps.nodes.setFreeSessions(node, Math.max(0, f.maxSessions - f.sessionCount));
    this.latest.set(node, f);
    if (!this.writing.has(node)) this.writing.set(node, this.write(node));
  }

  /** Writes the node's latest figures until none are left; never rejects. */
  private async write(node: string): Promise<void> {
    for (let f = this.latest.get(node); f; f = this.latest.get(node)) {
      this.latest.delete(node);
      try {
        await writeHeartbeat(this.deps.store, node, f);
      } catch (err) {
        this.deps.onError(err, { node });
      }
    }
    this.writing.delete(node);
  }

  /** Resolves once every pending write is done. */
  async close(): Promise<void> {
    await Promise.all(this.writing.values());
  }
}
