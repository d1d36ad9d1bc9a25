/** The settings and the health of one event-socket link (src/esl/connection.ts). All durations are milliseconds. */
export interface EslConnectionOptions {
  /** Names the node in health and errors. */
  name: string;
  host: string;
  port: number;
  password: string;
  /**
   * Subscription, e.g. `['CHANNEL_HANGUP_COMPLETE', 'BACKGROUND_JOB', 'CUSTOM sofia::register
   * sofia::gateway_state']`: an entry starting with `CUSTOM` lists subclasses, any other entry
   * event names. `BACKGROUND_JOB` is always on (modesl subscribes to it; bgapi needs it), so
   * `[]` suits a connection used only for commands.
   */
  events: string[];
  backoff?: { initialMs: number; maxMs: number };
  /** An attempt that is not authenticated and subscribed within this time fails. */
  connectTimeoutMs?: number;
}

export interface EslHealth {
  name: string;
  host: string;
  port: number;
  connected: boolean;
  /** ISO time the link came up (connected) or went down (not connected); null before start. */
  since: string | null;
  eventsReceived: number;
  lastError: string | null;
}
