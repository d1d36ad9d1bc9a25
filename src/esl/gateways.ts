/**
 * The gateway state tracker: keeps each trunk's registration state, OPTIONS ping status, last
 * error and last registration time as FreeSWITCH reports them for its gateway (named by the
 * trunk's id, src/domain/trunks.ts `gatewayName`).
 *
 * Event `sofia::gateway_state` (CUSTOM, sofia_reg.c `sofia_reg_fire_custom_gateway_state_event`),
 * fired on every change of a gateway's state:
 * - `Gateway`: the gateway name;
 * - `State`: mod_sofia.c `sofia_state_names`: `UNREGED`, `TRYING`, `REGISTER`, `REGED`,
 *   `UNREGISTER`, `FAILED`, `FAIL_WAIT`, `EXPIRED`, `NOREG` (a gateway that does not register),
 *   `TIMEOUT`, and on 1.10.12 `DOWN` (after `killgw`);
 * - `Ping-Status`: `sofia_gateway_status_name`: `DOWN`, `UP` or `INVALID`;
 * - `Status` (SIP code) and `Phrase`: only when fired for a REGISTER response
 *   (`sofia_reg_handle_sip_r_register`: `REGISTER` on 200, `FAILED` on anything else); the timed
 *   transitions of `sofia_reg_check_gateway` (`TRYING` → `TIMEOUT` → `FAILED` → `FAIL_WAIT` →
 *   `UNREGED`, `REGISTER` → `REGED`) carry neither.
 *
 * Written: `registration_state` = `State`, `ping_status` = `Ping-Status`; `last_error` =
 * `<Status> <Phrase>` (e.g. `403 Forbidden`) for a failure state with a status, `TIMEOUT` for a
 * REGISTER that got no answer, null once `REGED`, otherwise unchanged (a `FAIL_WAIT` keeps the
 * error of the `FAILED` before it); `last_registered_at` = the event time (`Event-Date-Timestamp`,
 * microseconds) on `REGED`. A gateway that is not a trunk (e.g. one from FreeSWITCH's own files)
 * is counted (`switchplane_errors_total{kind="gateway_unknown"}`) and ignored.
 *
 * Each time a node's link comes up, the tracker reads every gateway's state (`LIST_GATEWAYS`) and
 * writes it, for what changed while the link was down (the list has no registration time or SIP
 * status: `last_registered_at` stays, `last_error` follows the rule above without a status). `handle()` never awaits: writes go through
 * a WriteQueue (serial, batched, coalesced per gateway, retried until they land; failures counted
 * as `kind="gateway_state"` and reported). A trunk has one state row whatever the number of
 * nodes: the latest report wins.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { writeGatewayStates, type GatewayState } from '../domain/gateway-states.js';
import { SOFIA_GATEWAYS } from '../freeswitch/commands.js';
import type { EslConnection, EslEvent } from './connection.js';
import { GATEWAY_STATE_EVENT, parseGatewayStateEvent } from './sofia-events.js';
import { elements, text } from './sofia-xml.js';
import { StateTracker, type StateTrackerDeps } from './state-tracker.js';

/**
 * Every gateway of every running profile (mod_sofia.c `cmd_xml_status` with one argument,
 * `xml_gateway_status`): `<gateways><gateway>` with `<name>`, `<profile>`, `<state>` (as `State`),
 * `<status>` (the ping status, `DOWN` or `UP`), `<uptime-usec>`, call counters, ....
 */
export const LIST_GATEWAYS = SOFIA_GATEWAYS;

const FAILURES = new Set(['FAILED', 'FAIL_WAIT', 'TIMEOUT', 'EXPIRED']);
/** How every trunk id, and so every gateway name of a trunk, looks; nothing else is looked up. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type GatewayTrackerDeps = StateTrackerDeps;

/** The last error a state implies: see the module comment. */
function lastError(state: string, status: string | undefined, phrase: string | undefined): string | null | undefined {
  if (state === 'REGED') return null;
  if (!FAILURES.has(state)) return undefined;
  if (status) return phrase ? `${status} ${phrase}` : status;
  return state === 'TIMEOUT' ? 'TIMEOUT' : undefined;
}

/**
 * The gateways in a `LIST_GATEWAYS` answer.
 * @throws when the answer is not a gateway list
 */
function parseGateways(xml: string): GatewayState[] {
  const [list] = elements(xml, 'gateways');
  if (list === undefined) throw new Error(`${LIST_GATEWAYS} answered no gateway list: ${xml.trim().slice(0, 100)}`);
  return elements(list, 'gateway').flatMap((gw) => {
    const name = text(gw, 'name');
    const state = text(gw, 'state');
    if (!name || !state) return [];
    return [{ name, state, pingStatus: text(gw, 'status') ?? null, lastError: lastError(state, undefined, undefined) }];
  });
}

function merge(waiting: GatewayState, newer: GatewayState): GatewayState {
  return { ...newer, lastError: newer.lastError !== undefined ? newer.lastError : waiting.lastError, registeredAt: newer.registeredAt ?? waiting.registeredAt };
}

export class GatewayTracker extends StateTracker<GatewayState> {
  readonly events = [GATEWAY_STATE_EVENT];

  constructor(deps: GatewayTrackerDeps) {
    super(deps, { failureKind: 'gateway_state', unknownKind: 'gateway_unknown', merge });
  }

  handle(event: EslEvent): void {
    const gw = parseGatewayStateEvent(event);
    if (!gw) return this.deps.metrics.errors.inc({ kind: 'gateway_unknown' });
    const at = gw.state === 'REGED' ? (gw.at ?? new Date()) : undefined;
    this.push({
      name: gw.gateway,
      state: gw.state,
      pingStatus: gw.pingStatus ?? null,
      lastError: lastError(gw.state, gw.status, gw.phrase),
      ...(at && { registeredAt: at }),
    });
  }

  /** Queues a trunk's gateway state; counts anything else (no trunk id, or no state). */
  private push(gw: GatewayState): void {
    if (UUID.test(gw.name) && gw.state) this.queue.push(gw.name.toLowerCase(), gw);
    else this.deps.metrics.errors.inc({ kind: 'gateway_unknown' });
  }

  protected async reconcile(_node: string, conn: EslConnection): Promise<void> {
    const { result } = await conn.bgapi(LIST_GATEWAYS);
    const gateways = parseGateways(await result);
    if (!this.closed) for (const gw of gateways) this.push(gw);
  }

  /** Writes a batch in one transaction; returns how many gateways are no trunk. */
  protected write(trx: Kysely<Database>, batch: GatewayState[]): Promise<number> {
    return writeGatewayStates(trx, batch);
  }
}
