/**
 * Live state of the customer from `GET /api/v1/live` (Server-Sent Events): calls in progress,
 * registered phones and trunk gateways, each event a full snapshot (`calls`, `registrations`,
 * `gateways`), all three at connect and then on every change. One stream per logged-in page
 * (LiveProvider in the layout); an operator's stream names the chosen customer with `?tenantId=`.
 * The browser reconnects a dropped stream by itself; a stream the service refused (closed) is
 * opened again after 2, 4, 8… up to 30 s. `connected` is false until the first event and while
 * reconnecting (the last snapshot is kept meanwhile); `failing` once an attempt ended before any
 * event (the stream refused or unreachable), until an event arrives.
 */
import { createContext, createElement, useContext, useEffect, useState, type ReactNode } from 'react';
import type { Schemas } from '../api/client';

/** A call in progress (as GET /api/v1/calls/active lists it). */
export type ActiveCall = Schemas['Call'];

/** An extension's registration as the live stream sends it (every extension, registered or not). */
export interface LiveRegistration {
  extensionId: string;
  extensionNumber: string;
  sipUsername: string;
  displayName: string | null;
  registered: boolean;
  contact: string | null;
  userAgent: string | null;
  ip: string | null;
  port: number | null;
  /** ISO times. */
  expiresAt: string | null;
  lastRegistrationAt: string | null;
}

/** A trunk's gateway as the live stream sends it (mod_sofia's state, the OPTIONS ping status). */
export interface LiveGateway {
  trunkId: string;
  name: string;
  /** e.g. REGED, NOREG, FAIL_WAIT. */
  registrationState: string;
  pingStatus: string | null;
  lastError: string | null;
  lastRegisteredAt: string | null;
  currentChannels: number;
}

export interface Live {
  calls: ActiveCall[];
  registrations: LiveRegistration[];
  gateways: LiveGateway[];
  /** An event arrived since the stream last (re)opened. */
  connected: boolean;
  /** At least one snapshot of each kind has arrived (before: show loading). */
  loaded: boolean;
  /** The last attempt was refused or dropped before any event (shown as an error; retried meanwhile). */
  failing: boolean;
}

const EMPTY: Live = { calls: [], registrations: [], gateways: [], connected: false, loaded: false, failing: false };
const LiveContext = createContext<Live | null>(null);

function parse<K extends string>(e: MessageEvent, key: K): unknown[] | null {
  try {
    const body = JSON.parse(String(e.data)) as Record<K, unknown>;
    return Array.isArray(body[key]) ? (body[key] as unknown[]) : null;
  } catch {
    return null;
  }
}

/**
 * Opens the stream for `tenantId` (operators) or the session's own customer (null); `off` (an
 * operator with no customer chosen) opens none.
 */
export function LiveProvider({ tenantId, off = false, children }: { tenantId: string | null; off?: boolean; children: ReactNode }) {
  const [live, setLive] = useState<Live>(EMPTY);
  useEffect(() => {
    if (off) return;
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let delay = 2000;
    const seen = new Set<string>();
    setLive(EMPTY);
    const open = () => {
      source = new EventSource(tenantId ? `/api/v1/live?tenantId=${encodeURIComponent(tenantId)}` : '/api/v1/live');
      for (const kind of ['calls', 'registrations', 'gateways'] as const) {
        source.addEventListener(kind, (e) => {
          const items = parse(e as MessageEvent, kind);
          if (!items) return;
          seen.add(kind);
          delay = 2000;
          setLive((l) => ({ ...l, [kind]: items as never, connected: true, loaded: seen.size === 3, failing: false }));
        });
      }
      source.onerror = () => {
        setLive((l) => ({ ...l, connected: false, failing: l.failing || !l.connected }));
        if (source?.readyState === EventSource.CLOSED) {
          source.close();
          retry = setTimeout(open, delay);
          delay = Math.min(delay * 2, 30_000);
        }
      };
    };
    open();
    return () => {
      clearTimeout(retry);
      source?.close();
    };
  }, [tenantId, off]);
  return createElement(LiveContext.Provider, { value: live }, children);
}

/** The live snapshot; outside LiveProvider (e.g. login pages) always empty and not connected. */
export function useLive(): Live {
  return useContext(LiveContext) ?? EMPTY;
}

/** For PageState: loading until the first snapshots, an error while the stream fails before them. */
export function liveState(live: Live): { loading: boolean; error: Error | null } {
  if (live.loaded) return { loading: false, error: null };
  return live.failing ? { loading: false, error: new Error('Live updates are not reachable right now; trying again.') } : { loading: true, error: null };
}
