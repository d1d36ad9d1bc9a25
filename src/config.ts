/**
 * The only reader of `process.env`. Every variable is declared once, with its type, default,
 * bounds and meaning, in the schema of src/config/variables.ts; `loadConfig` parses an
 * environment against it (src/config/env.ts), builds the structured settings
 * (src/config/values.ts), checks the settings that depend on each other, and returns a frozen
 * `Config` (src/config/types.ts). An unusable value throws a `ConfigError` naming the variable.
 * README.md ("Configuration") lists the same variables and defaults, which a test checks.
 */
import path from 'node:path';
import { readEnv, type RawEnv } from './config/env.js';
import { ConfigError } from './config/error.js';
import type { AiSettings, Config } from './config/types.js';
import type { Env } from './config/variables.js';
import { XMLCURL_PLACEHOLDER_PASSWORD, destinationAllow, eslNodes, secretsKey, trustedProxies, url, xmlcurlAllowFrom } from './config/values.js';

export { ConfigError } from './config/error.js';
export type { AiSettings, Config, EslNodeAddress, SofiaSettings } from './config/types.js';
export { XMLCURL_PLACEHOLDER_PASSWORD } from './config/values.js';

function aiSettings(e: Env): AiSettings {
  return {
    apiKey: e.OPENAI_API_KEY,
    baseUrl: url('OPENAI_BASE_URL', e.OPENAI_BASE_URL),
    caFile: e.OPENAI_CA_FILE,
    model: e.OPENAI_REALTIME_MODEL,
    voice: e.OPENAI_VOICE,
    audioFormat: e.AI_AUDIO_FORMAT,
    analysisModel: e.AI_ANALYSIS ? e.AI_ANALYSIS_MODEL : undefined,
    forkModule: e.MEDIA_FORK_MODULE,
    mediaUrl: url('MEDIA_WS_URL', e.MEDIA_WS_URL ?? `ws://127.0.0.1:${e.PORT}`),
    connectTimeoutMs: e.AI_CONNECT_TIMEOUT_MS,
    responseTimeoutMs: e.AI_RESPONSE_TIMEOUT_MS,
    mediaTimeoutMs: e.AI_MEDIA_TIMEOUT_MS,
    sessionLimitSeconds: e.AI_SESSION_LIMIT_SECONDS,
    vad: { threshold: e.AI_VAD_THRESHOLD, prefixPaddingMs: e.AI_VAD_PREFIX_MS, silenceDurationMs: e.AI_VAD_SILENCE_MS },
    prebufferMs: e.AI_PLAYOUT_PREBUFFER_MS,
    crm: { timeoutMs: e.AI_CRM_TIMEOUT_MS, retries: e.AI_CRM_RETRIES, destinationAllow: destinationAllow(e.DESTINATION_ALLOW) },
  };
}

/**
 * Builds the configuration from an environment (default `process.env`).
 * @throws ConfigError naming the variable: a value outside its schema (the first in declaration
 *   order), a malformed structured value, or settings that contradict each other
 */
export function loadConfig(env: RawEnv = process.env): Readonly<Config> {
  const e = readEnv(env);
  const config: Config = {
    host: e.HOST,
    port: e.PORT,
    peerUrl: url('PEER_URL', e.PEER_URL ?? `http://127.0.0.1:${e.PORT}`),
    trustProxy: trustedProxies(e.TRUST_PROXY),
    databaseUrl: e.DATABASE_URL,
    dataDir: path.resolve(e.DATA_DIR),
    dbPoolSize: e.DB_POOL_SIZE,
    logLevel: e.LOG_LEVEL,
    secretsKey: secretsKey(e.SECRETS_KEY),
    xmlcurl: {
      username: e.XMLCURL_USERNAME,
      password: e.XMLCURL_PASSWORD,
      allowFrom: xmlcurlAllowFrom(e.XMLCURL_ALLOW_FROM, Boolean(e.XMLCURL_USERNAME && e.XMLCURL_PASSWORD)),
      budgetMs: e.XMLCURL_BUDGET_MS,
      directoryCacheMs: e.DIRECTORY_CACHE_MS,
    },
    sofia: {
      sipIp: e.SOFIA_SIP_IP,
      externalIp: e.SOFIA_EXTERNAL_IP,
      internalPort: e.SOFIA_INTERNAL_PORT,
      externalPort: e.SOFIA_EXTERNAL_PORT,
      wssPort: e.SOFIA_WSS_PORT,
      wsPort: e.SOFIA_WS_PORT,
      maxRecvRequestsPerSecond: e.SOFIA_MAX_RECV_RPS,
    },
    lookupCache: { maxTenants: e.LOOKUP_CACHE_TENANTS, ttlMs: e.LOOKUP_CACHE_TTL_MS },
    api: {
      adminKey: e.ADMIN_API_KEY,
      operatorPassword: e.OPERATOR_PASSWORD,
      rateLimitPerMinute: e.API_RATE_LIMIT_PER_MINUTE,
      authFailuresPerMinute: e.AUTH_FAILURES_PER_MINUTE,
      trunkTestsPerMinute: e.TRUNK_TEST_RATE_LIMIT_PER_MINUTE,
      sipServer: e.SIP_SERVER,
    },
    destinationAllow: destinationAllow(e.DESTINATION_ALLOW),
    demoSeed: e.DEMO_SEED,
    cdr: { spoolDir: path.resolve(e.CDR_SPOOL_DIR ?? path.join(e.DATA_DIR, 'spool')) },
    esl: { nodes: eslNodes(e.ESL_NODES), password: e.ESL_PASSWORD, reconnectMaxMs: e.ESL_RECONNECT_MAX_MS, leaseMs: e.ESL_LEASE_MS },
    scheduler: { intervalMs: e.SCHEDULER_INTERVAL_MS, leaseMs: e.SCHEDULER_LEASE_MS, graceMs: e.SCHEDULER_GRACE_MS },
    ai: aiSettings(e),
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
