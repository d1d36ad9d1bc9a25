/**
 * Kysely table types of FreeSWITCH nodes and their ownership (sql/024_freeswitch_nodes.sql,
 * sql/025_node_leases.sql, sql/026_instance_urls.sql), part of `Database` in ./schema.ts and checked with it by
 * test/db/schema-types.test.ts.
 */
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type RequiredTimestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface FreeswitchNodesTable {
  id: Generated<string>;
  /** Unique; the `node` of CDRs, calls and metrics. */
  name: string;
  esl_host: string;
  esl_port: number;
  /** mod_event_socket's password, sealed by the SecretBox (src/domain/secrets.ts). */
  esl_password_sealed: string;
  sip_addresses: Generated<string[]>;
  enabled: Generated<boolean>;
  session_count: number | null;
  session_peak_max: number | null;
  max_sessions: number | null;
  /** Percent, e.g. 97.63. */
  idle_cpu: number | null;
  uptime_seconds: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  heartbeat_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SwitchplaneInstancesTable {
  id: string;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  expires_at: RequiredTimestamp;
  /** The base URL the other instances reach this one's API at (PEER_URL); null: not given. */
  url: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface NodeLeasesTable {
  node_id: string;
  /** The owning instance's id (switchplane_instances.id). */
  owner: string;
  acquired_at: Timestamp;
  expires_at: RequiredTimestamp;
}

export interface NodeTables {
  freeswitch_nodes: FreeswitchNodesTable;
  switchplane_instances: SwitchplaneInstancesTable;
  node_leases: NodeLeasesTable;
}
