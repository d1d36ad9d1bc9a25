/**
 * The ESL controller: routes every event of every FreeSWITCH node to the handlers registered with
 * it (whatever they are: it knows only `EventHandler`), counts what it saw
 * (`switchplane_esl_events_total`), and tells handlers when a node's link comes up so they can
 * reconcile with what FreeSWITCH reports. Each node subscribes to exactly what the handlers take
 * (their `events`), plus BACKGROUND_JOB and HEARTBEAT (src/esl/nodes.ts `BASE_EVENTS`); a node
 * added to the EslNodes later is attached when it is added.
 *
 * Events are dispatched synchronously from the socket's read loop (src/esl/connection.ts), so a
 * handler must only look at the event and hand work to its own queue: mod_event_socket drops a
 * listener whose queue fills up (`MAX_MISSED` events in mod_event_socket.c). A handler that
 * throws is counted as `failed` and the next handler still gets the event.
 */
import type { EslConnection, EslEvent } from './connection.js';
import { eventKey } from './events.js';
import type { Metrics } from '../metrics.js';
import { BASE_EVENTS, type EslNodes } from './nodes.js';

export interface EventHandler {
  /** Event names (or CUSTOM subclasses, e.g. `sofia::register`) this handler takes. */
  readonly events: readonly string[];
  /** Takes one event from node `node` (the ESL_NODES name); must not block or await. */
  handle(event: EslEvent, node: string): void;
  /** Called each time `node`'s link is authenticated and subscribed (also after a reconnect). */
  connected?(node: string, conn: EslConnection): void;
  /** Called when `node`'s link is lost. */
  disconnected?(node: string): void;
}

/**
 * The subscription that gives `handlers` their events: event names in the order the handlers
 * list them, then BASE_EVENTS, then `CUSTOM` with every subclass (a key with `::`, FreeSWITCH's
 * `<module>::<name>`), e.g. `['CHANNEL_CREATE', 'BACKGROUND_JOB', 'HEARTBEAT', 'CUSTOM sofia::register']`.
 */
export function subscriptionOf(handlers: readonly EventHandler[]): string[] {
  const keys = new Set([...handlers.flatMap((h) => h.events), ...BASE_EVENTS]);
  const names = [...keys].filter((k) => !k.includes('::'));
  const subclasses = [...keys].filter((k) => k.includes('::'));
  return subclasses.length ? [...names, `CUSTOM ${subclasses.join(' ')}`] : names;
}

export class EslController {
  private readonly routes = new Map<string, EventHandler[]>();
  /** Event names (and CUSTOM subclasses) counted under their own label: the subscribed ones; anything else is `other`, so labels stay bounded. */
  private readonly known: ReadonlySet<string>;

  constructor(
    private readonly nodes: EslNodes,
    private readonly handlers: readonly EventHandler[],
    private readonly metrics: Metrics,
    private readonly onError: (err: unknown, context: { node: string; event: string }) => void,
  ) {
    for (const handler of handlers) {
      for (const key of handler.events) this.routes.set(key, [...(this.routes.get(key) ?? []), handler]);
    }
    this.known = new Set([...this.routes.keys(), ...BASE_EVENTS]);
    nodes.subscribe(subscriptionOf(handlers));
    for (const conn of nodes.connections) this.attach(conn);
    // A node added later (an owner taking it over) gets the same handlers.
    nodes.on('added', (conn) => this.attach(conn));
  }

  private attach(conn: EslConnection): void {
    const node = conn.health().name;
    conn.on('event', (event) => this.dispatch(event, node));
    conn.on('malformed', () => this.metrics.eslEvents.inc({ node, event: 'unknown', result: 'malformed' }));
    conn.on('connected', () => {
      for (const h of this.handlers) this.safely(node, 'connected', () => h.connected?.(node, conn));
    });
    conn.on('disconnected', () => {
      this.metrics.eslReconnects.inc({ node });
      for (const h of this.handlers) this.safely(node, 'disconnected', () => h.disconnected?.(node));
    });
  }

  /** Hands `event` to every handler of its kind; counts it as handled, ignored or failed. */
  dispatch(event: EslEvent, node: string): void {
    const key = eventKey(event);
    const label = this.known.has(key) ? key : 'other';
    const handlers = this.routes.get(key);
    if (!handlers) {
      this.metrics.eslEvents.inc({ node, event: label, result: BASE_EVENTS.includes(key) ? 'handled' : 'ignored' });
      return;
    }
    let failed = false;
    for (const h of handlers) failed = !this.safely(node, key, () => h.handle(event, node)) || failed;
    this.metrics.eslEvents.inc({ node, event: label, result: failed ? 'failed' : 'handled' });
  }

  private safely(node: string, event: string, fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (err) {
      this.metrics.errors.inc({ kind: 'esl_handler' });
      this.onError(err, { node, event });
      return false;
    }
  }
}
