/**
 * Each node's capacity as its HEARTBEAT reports it (src/esl/heartbeat.ts): sessions now and at
 * most, peaks, idle CPU. An event handler (src/esl/controller.ts); a node's figures are dropped
 * when its link goes down, since they are no longer current.
 */
import type { EventHandler } from './controller.js';
import type { EslEvent } from './events.js';
import { parseHeartbeat, type Heartbeat } from './heartbeat.js';

export class NodeCapacity implements EventHandler {
  readonly events = ['HEARTBEAT'];
  private readonly latest = new Map<string, Heartbeat>();

  handle(event: EslEvent, node: string): void {
    const heartbeat = parseHeartbeat(event);
    if (heartbeat) this.latest.set(node, heartbeat);
  }

  disconnected(node: string): void {
    this.latest.delete(node);
  }

  /** The last heartbeat of `node` (an ESL_NODES name) since its link came up; undefined before the first. */
  of(node: string): Readonly<Heartbeat> | undefined {
    return this.latest.get(node);
  }

  /** Sessions `node` can still take (`Max-Sessions` − `Session-Count`); undefined when not known. */
  freeSessions(node: string): number | undefined {
    const hb = this.latest.get(node);
    return hb && hb.maxSessions !== null && hb.sessions !== null ? Math.max(0, hb.maxSessions - hb.sessions) : undefined;
  }
}
