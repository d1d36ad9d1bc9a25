/**
 * In-process cache of `TenantSnapshot`s for the mod_xml_curl path, by SIP domain, plus a DID →
 * domain index. Entries are dropped when PostgreSQL announces a change to their tenant
 * (sql/003_change_notify.sql) or to the gateway state of one of its trunks
 * (sql/015_state_notify.sql), all of them when the notice channel was interrupted, and in any
 * case after `ttlMs`. Misses are not cached (FreeSWITCH falls back to its files for those), and
 * concurrent misses for one domain share one read. Emits `invalidated` (with the `Change`) after
 * dropping entries, `loaded` (with the new snapshots) after reading some, and `warmFailed` when
 * the start-up read failed.
 */
import { EventEmitter } from 'node:events';
import { LRUCache } from 'lru-cache';
import { STATE_CHANNEL, type Change, type Store } from '../db/store.js';
import { isCountryCode, type CountryCode } from './numbers.js';
import { loadActiveSnapshots, loadTenantSnapshot, type TenantSnapshot } from './tenant-snapshot.js';

export interface TenantCacheOptions {
  /** Most tenants kept. */
  maxTenants: number;
  /** Longest an entry is kept without a change notice, milliseconds. */
  ttlMs: number;
}

export class TenantCache extends EventEmitter<{ invalidated: [Change]; loaded: [TenantSnapshot[]]; warmFailed: [unknown] }> {
  private readonly byDomain: LRUCache<string, TenantSnapshot>;
  private readonly didToDomain: LRUCache<string, string>;
  private readonly inflight = new Map<string, Promise<TenantSnapshot | undefined>>();
  private countryList: Promise<CountryCode[]> | undefined;
  /** Bumped by every change notice, so a read that raced a change is not cached. */
  private generation = 0;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly store: Store, opts: TenantCacheOptions) {
    super();
    this.byDomain = new LRUCache({ max: opts.maxTenants, ttl: opts.ttlMs });
    this.didToDomain = new LRUCache({ max: opts.maxTenants * 4, ttl: opts.ttlMs });
  }

  /**
   * `warming` while the start-up read runs, `warm` after it, `cold` when it failed (lookups then
   * read through to the database tenant by tenant).
   */
  state: 'warming' | 'warm' | 'cold' = 'warming';

  /**
   * Subscribes to change notices and starts loading up to `maxTenants` active tenants in the
   * background; a database that is down at start only leaves the cache cold.
   */
  async start(): Promise<void> {
    const stops = [
      await this.store.onChange((change) => this.invalidate(change)),
      // A trunk's gateway state decides the outbound order (src/domain/outbound-trunks.ts); a
      // phone's registration is in no snapshot, so its notices are left alone.
      await this.store.onChange((change) => {
        if (change.table === 'trunks' || change.table === '*') this.invalidate(change);
      }, STATE_CHANNEL),
    ];
    this.unlisten = async () => {
      for (const stop of stops) await stop();
    };
    this.warm().then(
      () => (this.state = 'warm'),
      (err: unknown) => {
        this.state = 'cold';
        this.emit('warmFailed', err);
      },
    );
  }

  /**
   * Fills the cache with the active tenants (four queries in all), so the first lookup of each
   * tenant does not wait for the database. A change notice during the read discards it.
   */
  private async warm(): Promise<void> {
    const generation = this.generation;
    const snapshots = await this.store.withLookup((db) => loadActiveSnapshots(db, this.byDomain.max), { statementTimeoutMs: 0 });
    if (generation !== this.generation) return;
    for (const snap of snapshots) {
      this.byDomain.set(snap.tenant.sip_domain, snap);
      for (const n of snap.numbers) this.didToDomain.set(n.number, snap.tenant.sip_domain);
    }
    this.emit('loaded', snapshots);
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }

  /** Drops what a change made stale: the tenant's snapshot and the DID index. */
  invalidate(change: Change): void {
    this.generation++;
    this.didToDomain.clear();
    this.countryList = undefined;
    if (change.table === '*' || change.tenantId === null) {
      this.byDomain.clear();
    } else {
      for (const [domain, snap] of this.byDomain.entries()) {
        if (snap.tenant.id === change.tenantId) this.byDomain.delete(domain);
      }
    }
    this.emit('invalidated', change);
  }

  /** The cached snapshot of the tenant owning `domain` (lower-case), without reading the database. */
  cached(domain: string): TenantSnapshot | undefined {
    return this.byDomain.get(domain);
  }

  /** The snapshot of the tenant owning `domain` (any status), or undefined. */
  async tenantByDomain(domain: string): Promise<TenantSnapshot | undefined> {
    const key = domain.toLowerCase();
    const hit = this.byDomain.get(key);
    if (hit) return hit;
    let pending = this.inflight.get(key);
    if (!pending) {
      const generation = this.generation;
      pending = this.store
        .withLookup((db) => loadTenantSnapshot(db, { domain: key }))
        .then((snap) => {
          if (snap && generation === this.generation) {
            this.byDomain.set(key, snap);
            this.emit('loaded', [snap]);
          }
          return snap;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * The distinct countries set on customers (sql/020), in code order: the numbering plans a DID
   * presented in national format may be read in (src/domain/did-lookup.ts). Read once, kept
   * until the next change notice; a failed read is not kept.
   */
  countries(): Promise<CountryCode[]> {
    // A change notice clears the promise, so a read it raced is not used afterwards.
    if (this.countryList) return this.countryList;
    const pending = this.store
      .withLookup((db) => db.selectFrom('tenants').select('country').distinct().where('country', 'is not', null).orderBy('country').execute())
      .then((rows) => rows.flatMap((r) => (r.country !== null && isCountryCode(r.country) ? [r.country] : [])));
    pending.catch(() => {
      if (this.countryList === pending) this.countryList = undefined;
    });
    this.countryList = pending;
    return pending;
  }

  /** The snapshot of the tenant owning the E.164 number `did`, or undefined. */
  async tenantByDid(did: string): Promise<TenantSnapshot | undefined> {
    let domain = this.didToDomain.get(did);
    if (domain === undefined) {
      const generation = this.generation;
      const row = await this.store.withLookup((db) =>
        db.selectFrom('phone_numbers').innerJoin('tenants', 'tenants.id', 'phone_numbers.tenant_id')
          .select('tenants.sip_domain').where('phone_numbers.number', '=', did).executeTakeFirst(),
      );
      if (!row) return undefined;
      domain = row.sip_domain;
      if (generation === this.generation) this.didToDomain.set(did, domain);
    }
    return this.tenantByDomain(domain);
  }
}
