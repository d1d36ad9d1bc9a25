/**
 * Every environment variable Switchplane reads, declared once as a TypeBox schema: its type,
 * default, bounds and meaning. `readEnv` (./env.ts) parses `process.env` against it; README.md
 * ("Configuration") lists the same variables and defaults (test/startup/config-schema.test.ts).
 *
 * Extra keywords besides TypeBox's: `protocols` (a URL variable: the accepted `URL.protocol`
 * values) and `defaultFrom` (a default derived from other variables, as README.md writes it).
 * Milliseconds are `..._MS`, seconds `..._SECONDS`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

const int = (dflt: number, minimum: number, maximum: number, description: string) =>
  Type.Integer({ default: dflt, minimum, maximum, description });
const text = (dflt: string, description: string) => Type.String({ default: dflt, description });
const unset = (description: string, more: Record<string, unknown> = {}) => Type.Optional(Type.String({ description, ...more }));
const flag = (dflt: boolean, description: string) => Type.Boolean({ default: dflt, description });
const url = (dflt: string | undefined, protocols: string[], description: string, more: Record<string, unknown> = {}) =>
  dflt === undefined
    ? Type.Optional(Type.String({ protocols, description, ...more }))
    : Type.String({ default: dflt, protocols, description });

export const VARIABLES = {
  // HTTP and storage
  PORT: int(8080, 0, 65535, 'HTTP port'),
  HOST: text('0.0.0.0', 'HTTP bind address'),
  TRUST_PROXY: unset('comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; unset = none'),
  DATABASE_URL: unset('PostgreSQL URL; unset = the embedded database under DATA_DIR/pglite'),
  DATA_DIR: text('./data', 'embedded database files, the generated secrets key and its lock'),
  DB_POOL_SIZE: int(10, 1, 200, 'connections per pool (application role, lookups)'),
  LOG_LEVEL: text('info', 'pino level'),
  SECRETS_KEY: unset('AES-256-GCM key for passwords at rest: 64 hex digits or base64 of 32 bytes; unset = DATA_DIR/secrets.key'),

  // mod_xml_curl and mod_json_cdr (/freeswitch/*)
  XMLCURL_USERNAME: unset('HTTP basic auth user on /freeswitch/* (set with XMLCURL_PASSWORD)'),
  XMLCURL_PASSWORD: unset('HTTP basic auth password on /freeswitch/* (set with XMLCURL_USERNAME)'),
  XMLCURL_ALLOW_FROM: unset('comma-separated addresses or CIDRs allowed on /freeswitch/*; unset = loopback only, or any with credentials'),
  XMLCURL_BUDGET_MS: int(1000, 10, 60000, 'a lookup not answered within this answers `not found`'),
  DIRECTORY_CACHE_MS: int(60000, 0, 86400000, '`cacheable` on directory users; 0 = no caching'),
  LOOKUP_CACHE_TENANTS: int(10000, 1, 10000000, 'tenants whose directory and dialplan data are kept in memory'),
  LOOKUP_CACHE_TTL_MS: int(300000, 1000, 86400000, 'longest a cached tenant is used without a change notice'),

  // Sofia profiles
  SOFIA_SIP_IP: text('$${local_ip_v4}', '`sip-ip`/`rtp-ip` of both profiles'),
  SOFIA_EXTERNAL_IP: text('auto-nat', '`ext-sip-ip`/`ext-rtp-ip` of both profiles'),
  SOFIA_INTERNAL_PORT: int(5060, 1, 65535, 'SIP port of the internal profile (phones)'),
  SOFIA_EXTERNAL_PORT: int(5080, 1, 65535, 'SIP port of the external profile (trunks); TLS uses this + 1'),
  SOFIA_WSS_PORT: int(7443, 0, 65535, 'WebRTC `wss-binding` of the internal profile; 0 disables it'),
  SOFIA_WS_PORT: int(0, 0, 65535, 'plain WebSocket `ws-binding` of the internal profile (browsers on the same host, tests); 0 disables it'),
  SOFIA_MAX_RECV_RPS: int(4000, 1, 1000000, '`max-recv-requests-per-second` of the internal profile: SIP requests a second it takes before answering 503'),

  // The API
  DEMO_SEED: flag(true, 'load the demo tenants on the first start of an empty embedded database'),
  ADMIN_API_KEY: unset('an admin key registered at start; unset = generated once and printed'),
  OPERATOR_PASSWORD: unset('password of the portal login operator@switchplane.local, set at start; unset = generated once and printed', { minLength: 10 }),
  API_RATE_LIMIT_PER_MINUTE: int(600, 1, 1000000, 'API requests a minute per key'),
  AUTH_FAILURES_PER_MINUTE: int(20, 1, 1000000, 'failed authentications a minute per client address (API and /freeswitch/*)'),
  TRUNK_TEST_RATE_LIMIT_PER_MINUTE: int(10, 1, 100000, 'trunk tests a minute per customer'),
  DESTINATION_ALLOW: unset('comma-separated CIDRs tenant keys may point trunks and webhooks at despite the destination policy'),
  SIP_SERVER: unset('host phones register to; unset = the tenant\'s SIP domain'),

  // ESL and the scheduler
  ESL_NODES: unset('FreeSWITCH nodes registered (or updated) at start, comma-separated name@host:port or host:port; more through /api/v1/nodes'),
  ESL_PASSWORD: text('ClueCon', 'mod_event_socket password, the same on every node'),
  ESL_RECONNECT_MAX_MS: int(30000, 500, 600000, 'longest wait between reconnect attempts to a node'),
  ESL_LEASE_MS: int(6000, 300, 600000, 'a node\'s owner renews its lease every third of this; a dead owner\'s nodes are taken over after it'),
  PEER_URL: url(undefined, ['http:', 'https:'], 'the base URL the other instances reach this one\'s API at: call requests about a node it owns are forwarded there', {
    defaultFrom: 'http://127.0.0.1:PORT',
  }),
  SCHEDULER_INTERVAL_MS: int(10000, 100, 3600000, 'wait between recurring-call scheduler passes'),
  SCHEDULER_LEASE_MS: int(60000, 1000, 3600000, 'how long an instance holds a claimed occurrence (below SCHEDULER_GRACE_MS)'),
  SCHEDULER_GRACE_MS: int(300000, 1000, 86400000, 'an occurrence is called at most this long after its time'),
  CDR_SPOOL_DIR: unset('the CDR spool: CDRs accepted and not yet committed', { defaultFrom: 'DATA_DIR/spool' }),

  // The AI voice agent
  OPENAI_API_KEY: unset('the AI agent\'s key; unset = parked AI calls go to their failover extension'),
  OPENAI_BASE_URL: url('https://api.openai.com/v1', ['https:'], 'REST base; the Realtime socket is <base>/realtime over wss'),
  OPENAI_CA_FILE: unset('a PEM CA trusted for the Realtime socket; unset = system CAs'),
  OPENAI_REALTIME_MODEL: text('gpt-realtime', 'Realtime model'),
  OPENAI_VOICE: text('marin', 'agent voice (alloy, ash, ballad, coral, echo, sage, shimmer, verse, marin, cedar)'),
  AI_AUDIO_FORMAT: Type.Union([Type.Literal('pcmu'), Type.Literal('pcm24k')], {
    default: 'pcmu',
    description: 'pcmu: G.711 μ-law 8 kHz both ways; pcm24k: L16 24 kHz, resampled',
  }),
  MEDIA_FORK_MODULE: Type.Union([Type.Literal('audio_stream'), Type.Literal('audio_fork')], {
    default: 'audio_stream',
    description: 'audio_stream (mod_audio_stream, file playback) or audio_fork (bidirectional mod_audio_fork)',
  }),
  MEDIA_WS_URL: url(undefined, ['ws:', 'wss:'], 'the ws(s) base FreeSWITCH opens the media fork to (<base>/media/<uuid>)', {
    defaultFrom: 'ws://127.0.0.1:PORT',
  }),
  AI_CONNECT_TIMEOUT_MS: int(5000, 100, 60000, 'the Realtime session must be open and configured within this'),
  AI_RESPONSE_TIMEOUT_MS: int(8000, 100, 120000, 'a response asked for must start within this'),
  AI_MEDIA_TIMEOUT_MS: int(5000, 100, 60000, 'FreeSWITCH\'s media fork must connect within this'),
  AI_SESSION_LIMIT_SECONDS: int(900, 5, 3600, 'a longer call is handed to the failover extension'),
  AI_VAD_THRESHOLD: Type.Number({ default: 0.6, exclusiveMinimum: 0, exclusiveMaximum: 1, description: 'OpenAI server_vad threshold' }),
  AI_VAD_PREFIX_MS: int(300, 0, 2000, 'OpenAI server_vad prefix padding'),
  AI_VAD_SILENCE_MS: int(600, 100, 5000, 'OpenAI server_vad silence duration'),
  AI_PLAYOUT_PREBUFFER_MS: int(40, 0, 1000, 'jitter buffer: audio held before a talk spurt starts playing'),
  AI_CRM_TIMEOUT_MS: int(5000, 100, 60000, 'the create_ticket webhook: timeout per attempt'),
  AI_CRM_RETRIES: int(2, 0, 10, 'the create_ticket webhook: retries after the first attempt'),
  AI_ANALYSIS: flag(true, 'the post-call sentiment and satisfaction score; false skips it'),
  AI_ANALYSIS_MODEL: text('gpt-4o-mini', 'text model of the post-call analysis'),
} satisfies Record<string, TSchema>;

export const EnvSchema = Type.Object(VARIABLES);

/** The environment after parsing: every variable converted, defaults filled in. */
export type Env = Static<typeof EnvSchema>;
