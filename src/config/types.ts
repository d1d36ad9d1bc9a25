/**
 * The configuration as the rest of Switchplane reads it: built once by `loadConfig` (../config.ts)
 * from the variables of ./variables.ts, frozen. Every `...Ms` is milliseconds.
 */
export interface SofiaSettings {
  /** `sip-ip` / `rtp-ip` of both profiles; `$${local_ip_v4}` is expanded by FreeSWITCH. */
  sipIp: string;
  /** `ext-sip-ip` / `ext-rtp-ip` (public address behind NAT, or `auto-nat`). */
  externalIp: string;
  internalPort: number;
  externalPort: number;
  /** WebRTC secure WebSocket port on the internal profile (`wss-binding`); 0 disables it. */
  wssPort: number;
  /** Plain WebSocket port on the internal profile (`ws-binding`, bound to `sipIp`); 0 disables it. */
  wsPort: number;
  /**
   * SIP requests a second the internal profile takes; beyond it sofia answers new requests 503
   * (`max-recv-requests-per-second`, FreeSWITCH's default 1,000: a REGISTER with digest is two
   * requests, so 500 phones a second).
   */
  maxRecvRequestsPerSecond: number;
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
  /** PEER_URL: the base URL the other instances reach this one's API at (src/api/call-forwarding.ts), no trailing slash; default http://127.0.0.1:<PORT>. */
  peerUrl: string;
  /**
   * TRUST_PROXY: reverse proxies (addresses or CIDRs) whose X-Forwarded-For gives the client address
   * and X-Forwarded-Proto the scheme (an HTTPS request gets the Secure session cookie); empty = none.
   */
  trustProxy: string[];
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
     * when credentials are set (the /freeswitch/* access check).
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
    /** OPERATOR_PASSWORD: the portal operator's password, set at start; undefined = generate one if the operator does not exist. */
    operatorPassword: string | undefined;
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
    /** ESL_NODES: nodes registered (or updated) as records at start (src/domain/freeswitch-nodes.ts). */
    nodes: EslNodeAddress[];
    /** mod_event_socket `password` of the ESL_NODES nodes. */
    password: string;
    /** Longest wait between reconnect attempts to a node, milliseconds (backoff from 500 ms). */
    reconnectMaxMs: number;
    /** A node lease's duration, milliseconds (src/esl/node-ownership.ts): renewed every third of it. */
    leaseMs: number;
  };
  /** The recurring-call scheduler (src/scheduler/), milliseconds. */
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
