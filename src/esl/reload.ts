/**
 * Tells FreeSWITCH what to reload when a tenant's configuration changes, so that no restart is
 * needed and nothing else is disturbed (mod_commands `xml_flush_cache`, mod_sofia `cmd_profile`):
 * - a user whose directory entry changed or went away: `xml_flush_cache id <user> <domain>` (its
 *   SIP username and, when different, its extension number, the two ids FreeSWITCH looks users up
 *   by), because a `cacheable` user is answered from FreeSWITCH's own cache until flushed;
 * - a new gateway: `sofia profile external rescan` (rescan only adds gateways);
 * - a gateway whose rendered params changed: `sofia profile external killgw <name>`, then rescan;
 * - a gateway that went away (deleted, inactive, tenant suspended): `killgw <name>`;
 * - a trunk address added or gone: `reloadacl` (mod_commands; FreeSWITCH fetches `acl.conf`
 *   again, src/xmlcurl/acl.ts), so the external profile's inbound ACL admits exactly the trunks;
 *   it is also sent once at start, in case FreeSWITCH read acl.conf while Switchplane was down.
 * Gateways whose params did not change are never touched, so their registrations stay up.
 *
 * It keeps a fingerprint (SHA-256) of every user's and gateway's rendered inputs, read at start,
 * and on each change notice (store.onChange, after commit) reads the tenant again and compares.
 * Notices are coalesced per tenant and handled one at a time. A `'*'` notice (the notice channel
 * was interrupted) rereads everything.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Change, Store } from '../db/store.js';
import type { SecretBox } from '../domain/secrets.js';
import { listActiveGateways, gatewayName, type GatewayRow } from '../domain/trunks.js';
import { loadActiveSnapshots, loadTenantSnapshot, outboundCallerNumber, type TenantSnapshot } from '../domain/tenant-snapshot.js';
import { gatewayParams } from '../domain/gateway-params.js';
import { RELOAD_ACL, sofiaKillGateway, sofiaRescan, xmlFlushCache } from '../freeswitch/commands.js';

interface TenantState {
  /** `<id>@<domain>` → fingerprint of what the directory answer is made of. */
  users: Map<string, string>;
  /** gateway name → fingerprint of its params. */
  gateways: Map<string, string>;
  /** The trunks' hosts (the inbound ACL), sorted and joined. */
  hosts: string;
}

const EMPTY: TenantState = { users: new Map(), gateways: new Map(), hosts: '' };

const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export interface ReloaderDeps {
  store: Store;
  secrets: SecretBox;
  /** Sends one `api` command to every connected FreeSWITCH node. */
  send: (command: string) => Promise<void>;
  onError: (err: unknown, change: Change) => void;
}

/** Emits `handled` with the tenant id (or `'*'`) after the commands for a notice were sent. */
export class ConfigReloader extends EventEmitter<{ handled: [string] }> {
  private readonly state = new Map<string, TenantState>();
  private readonly pending = new Set<string>();
  private running: Promise<void> | null = null;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly deps: ReloaderDeps) {
    super();
  }

  /** Reads the current state of every tenant and starts listening for changes. */
  async start(): Promise<void> {
    this.unlisten = await this.deps.store.onChange((change) => this.notice(change));
    await this.resync(false);
    await this.deps.send(RELOAD_ACL);
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    while (this.running) await this.running;
  }

  private notice(change: Change): void {
    this.pending.add(change.table === '*' || change.tenantId === null ? '*' : change.tenantId);
    this.running ??= this.drain().finally(() => (this.running = null));
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const [next] = this.pending;
      this.pending.delete(next!);
      try {
        if (next === '*') await this.resync(true);
        else await this.reloadTenant(next!);
      } catch (err) {
        this.deps.onError(err, { table: '*', tenantId: next === '*' ? null : next! });
      }
      this.emit('handled', next!);
    }
  }

  private stateOf(s: TenantSnapshot | undefined, gateways: GatewayRow[]): TenantState {
    const users = new Map<string, string>();
    if (s && s.tenant.status === 'active') {
      const domain = s.tenant.sip_domain;
      for (const ext of s.extensions) {
        if (ext.status !== 'active') continue;
        const print = digest([s.tenant, ext, outboundCallerNumber(s, ext.caller_id_number) ?? null]);
        users.set(`${ext.sip_username}@${domain}`, print);
        if (ext.extension !== ext.sip_username) users.set(`${ext.extension}@${domain}`, print);
      }
    }
    const prints = new Map(gateways.map((g) => [gatewayName(g), digest(gatewayParams(g, this.deps.secrets))]));
    const hosts = [...new Set(gateways.map((g) => g.host))].sort().join(' ');
    return { users, gateways: prints, hosts };
  }

  private async reloadTenant(tenantId: string): Promise<void> {
    const [snapshot, gateways] = await this.deps.store.withLookup(async (db) => [
      await loadTenantSnapshot(db, { id: tenantId }),
      await listActiveGateways(db, tenantId),
    ] as const);
    const after = this.stateOf(snapshot, gateways);
    const before = this.state.get(tenantId) ?? EMPTY;
    this.state.set(tenantId, after);
    await this.apply(before, after);
  }

  /** Rereads every tenant; with `apply`, sends what changed since the last known state. */
  private async resync(apply: boolean): Promise<void> {
    const [snapshots, gateways] = await this.deps.store.withLookup(
      async (db) => [await loadActiveSnapshots(db, Number.MAX_SAFE_INTEGER), await listActiveGateways(db)] as const,
      { statementTimeoutMs: 0 },
    );
    const byTenant = new Map<string, GatewayRow[]>();
    for (const g of gateways) byTenant.set(g.tenant_id, [...(byTenant.get(g.tenant_id) ?? []), g]);
    const next = new Map(snapshots.map((s) => [s.tenant.id, this.stateOf(s, byTenant.get(s.tenant.id) ?? [])]));
    const previous = new Map(this.state);
    this.state.clear();
    for (const [id, st] of next) this.state.set(id, st);
    if (!apply) return;
    for (const id of new Set([...previous.keys(), ...next.keys()])) await this.apply(previous.get(id) ?? EMPTY, next.get(id) ?? EMPTY);
  }

  private async apply(before: TenantState, after: TenantState): Promise<void> {
    for (const [user, print] of before.users) {
      if (after.users.get(user) !== print) {
        const at = user.lastIndexOf('@');
        await this.deps.send(xmlFlushCache({ id: user.slice(0, at), domain: user.slice(at + 1) }));
      }
    }
    let rescan = false;
    for (const [name, print] of before.gateways) {
      const now = after.gateways.get(name);
      if (now === print) continue;
      await this.deps.send(sofiaKillGateway(name));
      if (now !== undefined) rescan = true;
    }
    for (const name of after.gateways.keys()) if (!before.gateways.has(name)) rescan = true;
    if (rescan) await this.deps.send(sofiaRescan());
    if (before.hosts !== after.hosts) await this.deps.send(RELOAD_ACL);
  }
}
