/**
 * The only reader of `process.env`. Parses and validates every setting once, returns a frozen
 * object, and throws a `ConfigError` naming the variable when a value is unusable.
 * Every variable, its default and meaning is listed in README.md ("Configuration").
 */
import path from 'node:path';
import { parseRanges, type AddressRange } from './address-ranges.js';
import { StartupError } from './startup-error.js';

export class ConfigError extends StartupError {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface SofiaSettings {
  /** `sip-ip` / `rtp-ip` of both profiles; `$${local_ip_v4}` is expanded by FreeSWITCH. */
  sipIp: string;
  /** `ext-sip-ip` / `ext-rtp-ip` (public address behind NAT, or `auto-nat`). */
  externalIp: string;
  internalPort: number;
  externalPort: number;
  /** WebRTC secure WebSocket port on the internal profile (`wss-binding`); 0 disables it. */
  wssPort: number;
}

/** A FreeSWITCH event socket (mod_event_socket `listen-ip`/`listen-port`) to keep connected. */
export interface EslNodeAddress {
  name: string;
  host: string;
  port: number;
}

export interface Config {
  host: string;
  port: number;
  /** PostgreSQL URL; undefined selects the embedded database under `dataDir`. */
  databaseUrl: string | undefined;
  dataDir: string;
  dbPoolSize: number;
  logLevel: string;
  /** 32-byte AES-256-GCM key for passwords at rest; undefined = keep one in `dataDir/secrets.key`. */
  secretsKey: Buffer | undefined;
  xmlcurl: {
    username: string | undefined;
    password: string | undefined;
    /**
     * Addresses or CIDRs allowed to query `/freeswitch/*`; empty = loopback only, or any address
     * when credentials are set (src/xmlcurl/access.ts).
     */
    allowFrom: string[];
    /** A lookup not answered within this many milliseconds answers `not found`. */
    budgetMs: number;
    /** `cacheable` attribute on directory users, milliseconds; 0 = FreeSWITCH does not cache. */
    directoryCacheMs: number;
  };
  sofia: SofiaSettings;
  lookupCache: {
    /** Most tenants whose directory and dialplan data are kept in memory. */
    maxTenants: number;
    /** Longest a cached tenant is used without a change notice, milliseconds. */
    ttlMs: number;
  };
  api: {
    /** ADMIN_API_KEY: registered as an admin key at start; undefined = generate one if none exists. */
    adminKey: string | undefined;
    /** Requests per minute allowed per API key (per client address before authentication). */
    rateLimitPerMinute: number;
    /**
     * AUTH_FAILURES_PER_MINUTE: failed authentications a client address may make within a minute,
     * on the API and `/freeswitch/*` together; then it gets 429 until the minute ends (src/auth-failures.ts).
     */
    authFailuresPerMinute: number;
    /** Host phones register to, as shown in `sipCredentials.server`; undefined = the tenant's SIP domain. */
    sipServer: string | undefined;
    /** TRUNK_TEST_RATE_LIMIT_PER_MINUTE: trunk tests (SIP OPTIONS sent) allowed per tenant a minute. */
    trunkTestsPerMinute: number;
  };
  /**
   * DESTINATION_ALLOW: CIDRs a tenant key may point trunks and webhooks at although the
   * destination policy (src/domain/destination-policy.ts) refuses them; empty = none.
   */
  destinationAllow: string[];
  /** Load the demo tenants on the first start of an empty embedded database. */
  demoSeed: boolean;
  cdr: {
    /** The CDR spool: CDRs accepted and not yet committed (src/cdr/spool.ts). */
    spoolDir: string;
  };
  esl: {
    /** Event sockets to connect to; empty = no ESL. */
    nodes: EslNodeAddress[];
    /** mod_event_socket `password`, the same on every node. */
    password: string;
    /** Longest wait between reconnect attempts to a node, milliseconds (backoff from 500 ms). */
    reconnectMaxMs: number;
  };
  /** The recurring-call scheduler (src/scheduler/), milliseconds; it runs when ESL_NODES is set. */
  scheduler: {
    /** Wait between two passes over due recurring calls. */
    intervalMs: number;
    /** How long an instance holds a claimed occurrence before another may take it over. */
    leaseMs: number;
    /** An occurrence is called at most this long after its time; later it is skipped (missed). */
    graceMs: number;
  };
  /** The AI voice agent (src/media/): OpenAI Realtime sessions for calls the dialplan parks for it. */
  ai: AiSettings;
}

/** See `ai` in Config; every `...Ms` is milliseconds. */
export interface AiSettings {
  /** OPENAI_API_KEY; undefined = no agent: a parked AI call goes to its failover extension at once. */
  apiKey: string | undefined;
  /** OPENAI_BASE_URL, the REST base; the Realtime socket is `<base>/realtime` over wss (openai package). */
  baseUrl: string;
  /** OPENAI_CA_FILE: a PEM CA trusted for the Realtime socket (a TLS-intercepting proxy); undefined = system CAs. */
  caFile: string | undefined;
  /** OPENAI_REALTIME_MODEL, e.g. `gpt-realtime`. */
  model: string;
  /** OPENAI_VOICE (alloy, ash, ballad, coral, echo, sage, shimmer, verse, marin, cedar). */
  voice: string;
  /** AI_AUDIO_FORMAT: `pcmu` (G.711 μ-law 8 kHz both ways, no resampling) or `pcm24k` (L16 24 kHz, resampled). */
  audioFormat: 'pcmu' | 'pcm24k';
  /** AI_ANALYSIS_MODEL: text model for the post-call sentiment and satisfaction; undefined (AI_ANALYSIS=false) = skipped. */
  analysisModel: string | undefined;
  /** MEDIA_FORK_MODULE: `audio_stream` (mod_audio_stream, file playback) or `audio_fork` (bidirectional mod_audio_fork). */
  forkModule: 'audio_stream' | 'audio_fork';
  /** MEDIA_WS_URL: the ws(s) base FreeSWITCH opens the media fork to (`<base>/media/<uuid>`); default ws://127.0.0.1:<PORT>. */
  mediaUrl: string;
  /** AI_CONNECT_TIMEOUT_MS: the Realtime session must be open and configured within this. */
  connectTimeoutMs: number;
  /** AI_RESPONSE_TIMEOUT_MS: a response asked for (greeting, caller's turn, tool output) must start within this. */
  responseTimeoutMs: number;
  /** AI_MEDIA_TIMEOUT_MS: FreeSWITCH's media fork must connect within this. */
  mediaTimeoutMs: number;
  /** AI_SESSION_LIMIT_SECONDS: a longer call is handed to the failover extension (OpenAI sessions end at 60 minutes). */
  sessionLimitSeconds: number;
  /** Server VAD for phone calls (OpenAI `server_vad`): AI_VAD_THRESHOLD (0–1), AI_VAD_PREFIX_MS, AI_VAD_SILENCE_MS. */
  vad: { threshold: number; prefixPaddingMs: number; silenceDurationMs: number };
  /** Jitter buffer of the audio played to the caller (src/media/playout.ts): AI_PLAYOUT_PREBUFFER_MS. */
  prebufferMs: number;
  /** The create_ticket CRM webhook: AI_CRM_TIMEOUT_MS per attempt, AI_CRM_RETRIES after the first. */
  crm: { timeoutMs: number; retries: number; destinationAllow: string[] };
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function bool(env: Env, name: string, dflt: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function secretsKey(raw: string | undefined): Buffer | undefined {
  if (!raw) return undefined;
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError('SECRETS_KEY', 'expected 32 bytes as 64 hex digits or base64');
  return key;
}

/** `ESL_NODES`: comma-separated `name@host:port` or `host:port` (the name is then the host). */
function eslNodes(raw: string | undefined): EslNodeAddress[] {
  const nodes: EslNodeAddress[] = [];
  for (const item of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:([\w.-]+)@)?(\[[0-9a-f:.]+\]|[^\s@:[\]]+):(\d{1,5})$/i.exec(item);
    const port = Number(m?.[3]);
    if (!m?.[2] || port < 1 || port > 65535) {
      throw new ConfigError('ESL_NODES', `expected name@host:port or host:port with a port from 1 to 65535, got "${item}"`);
    }
    const host = m[2].replace(/^\[(.*)\]$/, '$1');
    const name = m[1] ?? host;
    if (nodes.some((n) => n.name === name)) throw new ConfigError('ESL_NODES', `node name "${name}" is used twice`);
    nodes.push({ name, host, port });
  }
  return nodes;
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], dflt: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return dflt;
  if (!(values as readonly string[]).includes(raw)) throw new ConfigError(name, `expected one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function url(env: Env, name: string, dflt: string, protocols: readonly string[]): string {
  const raw = env[name] || dflt;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `expected an absolute URL, got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

function aiSettings(env: Env): AiSettings {
  const threshold = Number(env.AI_VAD_THRESHOLD || '0.6');
  if (!(threshold > 0 && threshold < 1)) throw new ConfigError('AI_VAD_THRESHOLD', `expected a number between 0 and 1, got "${env.AI_VAD_THRESHOLD}"`);
  return {
    apiKey: env.OPENAI_API_KEY || undefined,
    baseUrl: url(env, 'OPENAI_BASE_URL', 'https://api.openai.com/v1', ['https:']),
    caFile: env.OPENAI_CA_FILE || undefined,
    model: env.OPENAI_REALTIME_MODEL || 'gpt-realtime',
    voice: env.OPENAI_VOICE || 'marin',
    audioFormat: oneOf(env, 'AI_AUDIO_FORMAT', ['pcmu', 'pcm24k'] as const, 'pcmu'),
    analysisModel: bool(env, 'AI_ANALYSIS', true) ? env.AI_ANALYSIS_MODEL || 'gpt-4o-mini' : undefined,
    forkModule: oneOf(env, 'MEDIA_FORK_MODULE', ['audio_stream', 'audio_fork'] as const, 'audio_stream'),
    mediaUrl: url(env, 'MEDIA_WS_URL', `ws://127.0.0.1:${env.PORT || 8080}`, ['ws:', 'wss:']),
    connectTimeoutMs: int(env, 'AI_CONNECT_TIMEOUT_MS', 5000, 100, 60000),
    responseTimeoutMs: int(env, 'AI_RESPONSE_TIMEOUT_MS', 8000, 100, 120000),
    mediaTimeoutMs: int(env, 'AI_MEDIA_TIMEOUT_MS', 5000, 100, 60000),
    sessionLimitSeconds: int(env, 'AI_SESSION_LIMIT_SECONDS', 900, 5, 3600),
    vad: {
      threshold,
      prefixPaddingMs: int(env, 'AI_VAD_PREFIX_MS', 300, 0, 2000),
      silenceDurationMs: int(env, 'AI_VAD_SILENCE_MS', 600, 100, 5000),
    },
    prebufferMs: int(env, 'AI_PLAYOUT_PREBUFFER_MS', 40, 0, 1000),
    crm: { timeoutMs: int(env, 'AI_CRM_TIMEOUT_MS', 5000, 100, 60000), retries: int(env, 'AI_CRM_RETRIES', 2, 0, 10), destinationAllow: destinationAllow(env) },
  };
}

/** The password in freeswitch/autoload_configs/{xml_curl,json_cdr}.conf.xml as shipped, refused as a setting. */
export const XMLCURL_PLACEHOLDER_PASSWORD = 'change-me';

/**
 * `XMLCURL_ALLOW_FROM`: comma-separated addresses or CIDRs. An entry admitting every address
 * (a /0 such as 0.0.0.0/0 or ::/0) is refused unless credentials are set, since it would open
 * `/freeswitch/*` (directory passwords, trunk credentials) to the network.
 */
function xmlcurlAllowFrom(env: Env): string[] {
  const entries = (env.XMLCURL_ALLOW_FROM ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  let ranges: AddressRange[];
  try {
    ranges = parseRanges(entries);
  } catch (err) {
    throw new ConfigError('XMLCURL_ALLOW_FROM', (err as Error).message);
  }
  for (const [i, entry] of entries.entries()) {
    if (ranges[i]![1] === 0 && !(env.XMLCURL_USERNAME && env.XMLCURL_PASSWORD)) {
      throw new ConfigError(
        'XMLCURL_ALLOW_FROM',
        `"${entry}" admits every address, which would let anyone read SIP passwords from /freeswitch/*; ` +
          'list FreeSWITCH\'s addresses only, or also set XMLCURL_USERNAME and XMLCURL_PASSWORD (and the same in xml_curl.conf.xml and json_cdr.conf.xml)',
      );
    }
  }
  return entries;
}

/** `DESTINATION_ALLOW`: comma-separated CIDRs (or single addresses), checked by `parseRanges`. */
function destinationAllow(env: Env): string[] {
  const entries = (env.DESTINATION_ALLOW ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  try {
    parseRanges(entries);
  } catch (err) {
    throw new ConfigError('DESTINATION_ALLOW', (err as Error).message);
  }
  return entries;
}

/** Builds the configuration from an environment (default `process.env`). */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const config: Config = {
    host: env.HOST || '0.0.0.0',
    port: int(env, 'PORT', 8080, 0, 65535),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.DATA_DIR || './data'),
    dbPoolSize: int(env, 'DB_POOL_SIZE', 10, 1, 200),
    logLevel: env.LOG_LEVEL || 'info',
    secretsKey: secretsKey(env.SECRETS_KEY),
    xmlcurl: {
      username: env.XMLCURL_USERNAME || undefined,
      password: env.XMLCURL_PASSWORD || undefined,
      allowFrom: xmlcurlAllowFrom(env),
      budgetMs: int(env, 'XMLCURL_BUDGET_MS', 1000, 10, 60000),
      directoryCacheMs: int(env, 'DIRECTORY_CACHE_MS', 60000, 0, 86400000),
    },
    sofia: {
      sipIp: env.SOFIA_SIP_IP || '$${local_ip_v4}',
      externalIp: env.SOFIA_EXTERNAL_IP || 'auto-nat',
      internalPort: int(env, 'SOFIA_INTERNAL_PORT', 5060, 1, 65535),
      externalPort: int(env, 'SOFIA_EXTERNAL_PORT', 5080, 1, 65535),
      wssPort: int(env, 'SOFIA_WSS_PORT', 7443, 0, 65535),
    },
    lookupCache: {
      maxTenants: int(env, 'LOOKUP_CACHE_TENANTS', 10000, 1, 10000000),
      ttlMs: int(env, 'LOOKUP_CACHE_TTL_MS', 300000, 1000, 86400000),
    },
    api: {
      adminKey: env.ADMIN_API_KEY || undefined,
      rateLimitPerMinute: int(env, 'API_RATE_LIMIT_PER_MINUTE', 600, 1, 1000000),
      authFailuresPerMinute: int(env, 'AUTH_FAILURES_PER_MINUTE', 20, 1, 1000000),
      trunkTestsPerMinute: int(env, 'TRUNK_TEST_RATE_LIMIT_PER_MINUTE', 10, 1, 100000),
      sipServer: env.SIP_SERVER || undefined,
    },
    destinationAllow: destinationAllow(env),
    demoSeed: bool(env, 'DEMO_SEED', true),
    cdr: {
      spoolDir: path.resolve(env.CDR_SPOOL_DIR || path.join(env.DATA_DIR || './data', 'spool')),
    },
    esl: {
      nodes: eslNodes(env.ESL_NODES),
      password: env.ESL_PASSWORD || 'ClueCon',
      reconnectMaxMs: int(env, 'ESL_RECONNECT_MAX_MS', 30000, 500, 600000),
    },
    scheduler: {
      intervalMs: int(env, 'SCHEDULER_INTERVAL_MS', 10000, 100, 3600000),
      leaseMs: int(env, 'SCHEDULER_LEASE_MS', 60000, 1000, 3600000),
      graceMs: int(env, 'SCHEDULER_GRACE_MS', 300000, 1000, 86400000),
    },
    ai: aiSettings(env),
  };
  if (config.scheduler.leaseMs >= config.scheduler.graceMs) {
    throw new ConfigError('SCHEDULER_LEASE_MS', 'must be below SCHEDULER_GRACE_MS, so that an occurrence claimed by a stopped instance is still called in time');
  }
  if (Boolean(config.xmlcurl.username) !== Boolean(config.xmlcurl.password)) {
    throw new ConfigError('XMLCURL_PASSWORD', 'XMLCURL_USERNAME and XMLCURL_PASSWORD must be set together');
  }
  if (config.xmlcurl.password === XMLCURL_PLACEHOLDER_PASSWORD) {
    throw new ConfigError('XMLCURL_PASSWORD', `"${XMLCURL_PLACEHOLDER_PASSWORD}" is the placeholder of the shipped drop-in files; choose a secret and set it here and in xml_curl.conf.xml and json_cdr.conf.xml`);
  }
  return Object.freeze(config);
}
