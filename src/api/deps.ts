/**
 * What the REST API's resources are given (src/api/plugin.ts registers each with it).
 */
import type { AuthFailures } from '../auth-failures.js';
import type { Config } from '../config.js';
import type { Store } from '../db/store.js';
import type { SecretBox } from '../domain/secrets.js';
import type { TenantCache } from '../domain/tenant-cache.js';
import type { CallControl } from '../esl/call-control.js';
import type { CallForwarding } from './call-forwarding.js';
import type { EslNodes } from '../esl/nodes.js';
import type { Metrics } from '../metrics.js';

export interface ApiDeps {
  config: Readonly<Config>;
  store: Store;
  secrets: SecretBox;
  tenants: TenantCache;
  clock: () => Date;
  /** Click-to-call, hangup, transfer and live calls; absent (no ESL_NODES): the call routes answer 503. */
  calls?: CallControl;
  /** Forwarding of call requests to the instances owning other nodes (absent: this instance alone). */
  forwarding?: CallForwarding;
  /** FreeSWITCH event socket links, for GET /status. */
  esl?: EslNodes;
  /** The process's metrics (open live streams). */
  metrics: Metrics;
  /** Failed authentications per client address, one counter for the whole HTTP server (src/auth-failures.ts). */
  authFailures: AuthFailures;
}
