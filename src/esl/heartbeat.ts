/**
 * HEARTBEAT parsed into a node's capacity figures (switch_core.c `send_heartbeat`, every 20 s by
 * default): how many sessions the node holds and may hold, its peaks and its idle CPU.
 */
import { field, fromMicroseconds, type EslEvent } from './events.js';

export interface Heartbeat {
  /** `Session-Count`: channels now. */
  sessions: number | null;
  /** `Max-Sessions`: the node's `max-sessions`. */
  maxSessions: number | null;
  /** `Session-Peak-Max` / `Session-Peak-FiveMin`: the most channels at once since start / in 5 minutes. */
  peakSessions: number | null;
  peakSessionsFiveMin: number | null;
  /** `Session-Per-Sec`: the node's `sessions-per-second` limit. */
  sessionsPerSecond: number | null;
  /** `Idle-CPU`: percent, e.g. 98.5. */
  idleCpu: number | null;
  /** `Uptime-msec`, milliseconds. */
  uptimeMs: number | null;
  /** `FreeSWITCH-Version`. */
  version?: string;
  /** `Event-Date-Timestamp`. */
  at?: Date;
}

function num(value: string | undefined): number | null {
  if (value === undefined) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/** The heartbeat in `event`; undefined for any other event. */
export function parseHeartbeat(event: EslEvent): Heartbeat | undefined {
  if (field(event, 'Event-Name') !== 'HEARTBEAT') return undefined;
  const f = (header: string) => field(event, header);
  return {
    sessions: num(f('Session-Count')),
    maxSessions: num(f('Max-Sessions')),
    peakSessions: num(f('Session-Peak-Max')),
    peakSessionsFiveMin: num(f('Session-Peak-FiveMin')),
    sessionsPerSecond: num(f('Session-Per-Sec')),
    idleCpu: num(f('Idle-CPU')),
    uptimeMs: num(f('Uptime-msec')),
    version: f('FreeSWITCH-Version'),
    at: fromMicroseconds(f('Event-Date-Timestamp')),
  };
}
