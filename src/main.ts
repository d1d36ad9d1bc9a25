/**
 * The composition root, the only one: configuration → database (migrated) → secrets → the CDR
 * writer and, with ESL_NODES, the ESL controller's handlers (src/wiring/event-handlers.ts) → HTTP
 * app (src/wiring/http.ts) → demo data and logins on a new embedded database → the first admin API
 * key and operator login (printed once, with the demo logins) → ESL
 * nodes, the reloader, the recurring-call scheduler, the AI agent's media endpoint and the event
 * webhook delivery worker → listen. SIGINT/SIGTERM stop the scheduler, the webhook deliveries, hand live AI calls to their failover extensions, close the
 * media sockets (AI calls, recordings, voicemail audio), the event sockets, the CDR writer (what is not written stays in the spool) and
 * the server, then the database. A `StartupError` (a setting, the secrets key, a data directory in
 * use) prints its message alone on stderr and exits 1; any other error at start keeps its stack.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { loadConfig } from './config.js';
import { openStore } from './db/open.js';
import { ensureAdminKey } from './domain/api-keys.js';
import { DestinationPolicy } from './domain/destination-policy.js';
import { RECORDING_FORK_KEY_LABEL, RecordingForks } from './domain/recording-forks.js';
import { VOICEMAIL_FORK_KEY_LABEL, VoicemailForks } from './domain/voicemail-forks.js';
import { ensureOperator, OPERATOR_EMAIL } from './domain/users.js';
import { loadSecretBox } from './domain/secrets.js';
import { EslNodes } from './esl/nodes.js';
import { ConfigReloader } from './esl/reload.js';
import { WebhookWorker } from './http/webhook-worker.js';
import { attachMediaServer } from './media/media-server.js';
import { attachRecordingServer } from './media/recording-server.js';
import { attachVoicemailCapture } from './media/voicemail-capture.js';
import { createMetrics } from './metrics.js';
import { Scheduler } from './scheduler/scheduler.js';
import { seedDemo } from './seed/demo.js';
import { demoLoginsText, type DemoLogin } from './seed/demo-users.js';
import { runExplainingStartupErrors } from './startup-error.js';
import { createEventHandlers } from './wiring/event-handlers.js';
import { buildApp } from './wiring/http.js';

await runExplainingStartupErrors(start);

async function start(): Promise<void> {
  const config = loadConfig();
  const store = await openStore(config);
  const secrets = await loadSecretBox(config.secretsKey, config.dataDir, store).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const esl = config.esl.nodes.length > 0 ? new EslNodes(config.esl, (err, node, command) => app.log.warn({ err, node, command }, 'FreeSWITCH command failed')) : undefined;
  const metrics = createMetrics(true);
  const handlers = createEventHandlers({ config, store, secrets, metrics, nodes: esl, report: (err, part, context) => app.log.error({ err, ...context }, `${part} failed`), warn: (context, message) => app.log.warn(context, message) });
  const app = await buildApp({ config, store, secrets, esl, calls: handlers.calls, cdrs: handlers.cdrs, metrics, logger: { level: config.logLevel } });

  handlers.start();
  const closeMedia = handlers.agents
    ? attachMediaServer(app.server, { find: (callId) => handlers.agents!.get(callId), onError: (err, context) => app.log.warn({ err, ...context }, 'media fork failed') })
    : undefined;
  const forks = new RecordingForks(secrets.derive(RECORDING_FORK_KEY_LABEL), config.ai.mediaUrl);
  const closeRecordings = attachRecordingServer(app.server, { forks, store, metrics, log: app.log });
  const voicemailForks = new VoicemailForks(secrets.derive(VOICEMAIL_FORK_KEY_LABEL), config.ai.mediaUrl);
  const closeVoicemailAudio = attachVoicemailCapture(app.server, { forks: voicemailForks, store, log: app.log });

  let demoLogins: DemoLogin[] = [];
  if (store.kind === 'pglite' && config.demoSeed) {
    const created = await seedDemo(store, secrets);
    if (created.tenants.length) app.log.info({ tenants: created.tenants }, 'demo tenants loaded (for trying Switchplane out only)');
    demoLogins = created.logins;
  }
  const adminKey = await ensureAdminKey(store, config.api.adminKey);
  if (adminKey) {
    // Printed once, on the start that created it; only its hash is stored.
    process.stdout.write(`\nAdmin API key (shown once, keep it): ${adminKey}\n\n`);
  }
  const operatorPassword = await ensureOperator(store, config.api.operatorPassword);
  const portal = `http://localhost:${config.port}`;
  if (operatorPassword) {
    // Printed once, on the start that created the login; only its argon2id hash is stored.
    process.stdout.write(`Portal: ${portal} — operator login (shown once, keep it): ${OPERATOR_EMAIL} / ${operatorPassword}\n\n`);
  }
  if (demoLogins.length) process.stdout.write(demoLoginsText(portal, demoLogins));

  let reloader: ConfigReloader | undefined;
  let scheduler: Scheduler | undefined;
  if (esl) {
    esl.start();
    reloader = new ConfigReloader({ store, secrets, send: (command) => esl.send(command), onError: (err) => app.log.error({ err }, 'FreeSWITCH reload failed') });
    await reloader.start();
  }
  if (esl && handlers.calls) {
    const instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    scheduler = new Scheduler({ store, calls: handlers.calls, nodes: esl, instanceId, ...config.scheduler, onError: (err, context) => app.log.error({ err, ...context }, 'recurring call scheduler failed') });
    scheduler.start();
  }

  const webhooks = new WebhookWorker({ store, secrets, destinations: new DestinationPolicy(config.destinationAllow), onError: (err) => app.log.error({ err }, 'webhook delivery worker failed') });
  webhooks.start();

  await app.listen({ host: config.host, port: config.port });

  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, async () => {
      if (closing) return;
      closing = true;
      app.log.info({ signal }, 'shutting down');
      // Each step runs even when an earlier one fails; CDRs not yet written stay in the spool.
      const steps: Array<[string, (() => Promise<void>) | undefined]> = [
        ['scheduler', scheduler && (() => scheduler!.stop())],
        ['reloader', reloader && (() => reloader!.stop())],
        ['webhook deliveries', () => webhooks.stop()],
        ['AI calls', handlers.agents && (() => handlers.agents!.close())],
        ['media sockets', closeMedia],
        ['recordings', () => closeRecordings()],
        ['voicemail audio', () => closeVoicemailAudio()],
        ['event sockets', esl && (() => esl.close())],
        ['ESL controller', () => handlers.close()],
        ['HTTP server', () => app.close()],
        ['database', () => store.close()],
      ];
      let failed = false;
      for (const [part, stop] of steps) {
        try {
          await stop?.();
        } catch (err) {
          failed = true;
          app.log.error({ err, part }, 'shutdown step failed');
        }
      }
      process.exit(failed ? 1 : 0);
    });
  }
}
