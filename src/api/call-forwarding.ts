/**
 * Call requests that concern a FreeSWITCH node another instance owns (src/esl/node-ownership.ts):
 * the call state lives in the owner's memory (src/esl/call-control.ts), so the request is sent
 * on to the owner's PEER_URL (switchplane_instances.url) over HTTP (Node's fetch) with the
 * client's own credentials (Authorization, Cookie, X-CSRF-Token, X-Tenant-ID), the same method,
 * path and JSON body, and `x-switchplane-forwarded: 1`: the receiving instance answers from its
 * own state only and never forwards again, so a request crosses at most one hop. The owner
 * authenticates, checks and audits the request itself; its status and body are answered as they
 * are. A click-to-call placed on another instance's node also carries `x-switchplane-node: <name>`.
 *
 * A peer that does not answer within `timeoutMs` (default PEER_TIMEOUT_MS), refuses the
 * connection, or answers something that is not JSON makes the request a 503 `esl_unavailable`
 * naming the nodes it holds (the instance and its URL are logged, never answered). A forwarded
 * originate is never retried elsewhere: the owner may have rung the phone already.
 */
import type { FastifyRequest } from 'fastify';
import type { PlacementCandidate } from '../domain/call-placement.js';
import type { Peer } from '../domain/instance-peers.js';
import { ApiError } from './errors.js';

/** Set on a forwarded request: answer from this instance's own state, do not forward again. */
export const FORWARDED_HEADER = 'x-switchplane-forwarded';
/** On a forwarded click-to-call: the node the sender chose (the receiver uses it while it still holds it). */
export const NODE_HEADER = 'x-switchplane-node';
/** How long a peer has to answer a forwarded request, milliseconds. */
export const PEER_TIMEOUT_MS = 4000;

/** The client headers a forwarded request carries (its credentials and chosen tenant). */
const PASSED_HEADERS = ['authorization', 'cookie', 'x-csrf-token', 'x-tenant-id'] as const;

/** A peer's answer: its HTTP status and parsed JSON body (undefined when empty). */
export interface PeerAnswer {
  status: number;
  body: unknown;
}

/** Where a click-to-call goes: here (on `node` when named, else EslNodes.leastLoaded), or to `peer`. */
export type Placement = { local: true; node?: string } | { local: false; peer: Peer; node?: string };

export interface CallForwardingDeps {
  /** This instance's switchplane_instances.id. */
  instanceId: string;
  /** The other live instances holding node leases (src/domain/instance-peers.ts livePeers). */
  peers: () => Promise<Peer[]>;
  /** The fleet's nodes, best placement first (src/domain/call-placement.ts placementCandidates). */
  candidates: () => Promise<PlacementCandidate[]>;
  timeoutMs?: number;
}

/** Whether `req` was forwarded by another instance (it is answered from local state only). */
export const isForwarded = (req: FastifyRequest): boolean => req.headers[FORWARDED_HEADER] === '1';

/** The node a forwarded click-to-call asks for, if any. */
export function nodeAsked(req: FastifyRequest): string | undefined {
  const node = req.headers[NODE_HEADER];
  return isForwarded(req) && typeof node === 'string' && node !== '' ? node : undefined;
}

const unavailable = (nodes: string[]) =>
  new ApiError(503, 'esl_unavailable', `FreeSWITCH node${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')} not reachable: the instance holding ${nodes.length === 1 ? 'it' : 'them'} did not answer`);

const NOT_HERE = Symbol('404');

export class CallForwarding {
  private readonly timeoutMs: number;

  constructor(private readonly deps: CallForwardingDeps) {
    this.timeoutMs = deps.timeoutMs ?? PEER_TIMEOUT_MS;
  }

  /**
   * Chooses where a click-to-call goes (src/domain/call-placement.ts): the best node with a fresh
   * HEARTBEAT, here when this instance owns it; without any fresh HEARTBEAT (a fresh start, or
   * figures not stored yet) here as before when `localConnected`, else any node held by a
   * reachable peer; with no node held at all, here (which answers 503 when nothing is connected).
   */
  async place(localConnected: boolean): Promise<Placement> {
    const self = this.deps.instanceId;
    const ranked = (await this.deps.candidates()).filter((c) => c.owner === self || c.url !== null);
    const best = ranked[0];
    const peerOf = (c: PlacementCandidate): Peer => ({ id: c.owner, url: c.url!, nodes: [c.node] });
    if (best?.fresh) return best.owner === self ? { local: true, node: best.node } : { local: false, peer: peerOf(best), node: best.node };
    const remote = ranked.find((c) => c.owner !== self);
    return localConnected || !remote ? { local: true } : { local: false, peer: peerOf(remote) };
  }

  /**
   * Sends `req` to `peer` (see the module comment), naming `node` for a click-to-call; to `path`
   * (with its query) instead of the request's own when given.
   * @throws ApiError 503 `esl_unavailable` naming the peer's nodes when it does not answer in time
   */
  async send(req: FastifyRequest, peer: Peer, node?: string, path: string = req.url): Promise<PeerAnswer> {
    const headers: Record<string, string> = { [FORWARDED_HEADER]: '1' };
    for (const name of PASSED_HEADERS) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    if (node) headers[NODE_HEADER] = node;
    const body = req.body === undefined || req.method === 'GET' ? undefined : JSON.stringify(req.body);
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await fetch(`${peer.url}${path}`, { method: req.method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    } catch (err) {
      req.log.warn({ err, peer: peer.id, url: peer.url, nodes: peer.nodes }, 'a forwarded call request was not answered by the instance holding the node');
      throw unavailable(peer.nodes);
    }
  }

  /**
   * Asks every peer for the call `req` concerns (GET, hangup or transfer by id), all at once.
   * @returns the first answer that is not 404; undefined when every peer answered 404 (or there is none)
   * @throws ApiError 503 `esl_unavailable` when none had it and some did not answer (the call may be theirs)
   */
  async findCall(req: FastifyRequest): Promise<PeerAnswer | undefined> {
    const silent: Peer[] = [];
    const asks = (await this.deps.peers()).map((p) =>
      this.send(req, p).then(
        (a) => (a.status === 404 ? Promise.reject(NOT_HERE) : a),
        (err: unknown) => {
          silent.push(p);
          throw err;
        },
      ),
    );
    try {
      return await Promise.any(asks);
    } catch {
      if (silent.length) throw unavailable(silent.flatMap((p) => p.nodes).sort());
      return undefined;
    }
  }

  /**
   * The `data` arrays every peer answers to `req` (the live-calls list), concatenated; `path`
   * asks another route than the request's own with its credentials (GET only).
   * @throws ApiError 503 `esl_unavailable` naming the nodes of the peers that did not answer 200
   */
  async collect(req: FastifyRequest, path: string = req.url): Promise<unknown[]> {
    const peers = await this.deps.peers();
    const answers = await Promise.allSettled(peers.map((p) => this.send(req, p, undefined, path)));
    const failed = peers.filter((p, i) => {
      const a = answers[i]!;
      if (a.status === 'fulfilled' && a.value.status !== 200) req.log.warn({ peer: p.id, status: a.value.status }, 'a forwarded live-calls list was refused by the instance holding the node');
      return a.status === 'rejected' || a.value.status !== 200 || !Array.isArray((a.value.body as { data?: unknown })?.data);
    });
    if (failed.length) throw unavailable(failed.flatMap((p) => p.nodes).sort());
    return answers.flatMap((a) => (a.status === 'fulfilled' ? (a.value.body as { data: unknown[] }).data : []));
  }

  /**
   * The customer's live calls on every peer, asked with the credentials of `req` (any GET, e.g.
   * the live view's stream) at `GET /api/v1/customers/{tenantId}/calls/active`, which every
   * principal that may read the customer's calls can use (an agent gets its own calls only).
   * @throws ApiError 503 `esl_unavailable` as `collect`
   */
  activeCalls(req: FastifyRequest, tenantId: string): Promise<unknown[]> {
    return this.collect(req, `/api/v1/customers/${tenantId}/calls/active`);
  }
}

/**
 * This instance's live calls and the peers', each call once (this instance's copy kept), oldest
 * first (`createdAt`, ISO 8601 UTC, so text order is time order). Without peers' calls the local
 * list is answered in its own order.
 */
export function mergeCalls<C extends { callId: string; createdAt: string }>(local: C[], remote: unknown[]): C[] {
  if (remote.length === 0) return local;
  const byId = new Map<string, C>();
  for (const c of [...local, ...(remote as C[])]) if (!byId.has(c.callId)) byId.set(c.callId, c);
  return [...byId.values()].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}
