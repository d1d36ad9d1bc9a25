/**
 * The composition root, the only one: configuration → database (migrated) → secrets → the
 * FreeSWITCH nodes of ESL_NODES registered as records → the CDR writer and the ESL controller's
 * handlers (src/wiring/event-handlers.ts) → HTTP
 * app (src/wiring/http.ts) → demo data and logins on a new embedded database → the first admin API
 * key and operator login (printed once, with the demo logins) → the node leases (this instance
 * opens the event sockets of the nodes it owns, src/esl/node-ownership.ts), the reloader, the recurring-call scheduler, the AI agent's media endpoint and the event
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
import { seedNodes } from './domain/freeswitch-nodes.js';
import { placementCandidates } from './domain/call-placement.js';
import { livePeers } from './domain/instance-peers.js';
import { CallForwarding } from './api/call-forwarding.js';
import { NodeAccess } from './esl/node-access.js';
import { NodeOwnership } from './esl/node-ownership.js';
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
import { applyV8Flags } from './v8-flags.js';
import { createEventHandlers } from './wiring/event-handlers.js';
import { buildApp } from './wiring/http.js';

applyV8Flags();
await runExplainingStartupErrors(start);

async function start(): Promise<void> {
  const config = loadConfig();
  const store = await openStore(config);
  const secrets = await loadSecretBox(config.secretsKey, config.dataDir, store).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  await seedNodes(store, secrets, config.esl.nodes, config.esl.password);
  // The links come and go with the node leases: none is opened before this instance owns it.
  const esl = new EslNodes({ ...config.esl, nodes: [] }, (err, node, command) => app.log.warn({ err, node, command }, 'FreeSWITCH command failed'));
  const instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const metrics = createMetrics(true);
  const handlers = createEventHandlers({ config, store, secrets, metrics, nodes: esl, report: (err, part, context) => app.log.error({ err, ...context }, `${part} failed`), warn: (context, message) => app.log.warn(context, message) });
  // Call requests about another instance's nodes go to it (its PEER_URL, announced with the node leases).
  const forwarding = new CallForwarding({ instanceId, peers: () => livePeers(store, instanceId), candidates: () => placementCandidates(store) });
  const app = await buildApp({ config, store, secrets, esl, calls: handlers.calls, forwarding, cdrs: handlers.cdrs, metrics, logger: { level: config.logLevel } });

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

  esl.start();
  const ownership = new NodeOwnership({ store, secrets, nodes: esl, instanceId, leaseMs: config.esl.leaseMs, url: config.peerUrl, metrics, onError: (err) => app.log.error({ err }, 'node lease pass failed') });
  ownership.on('acquired', (node) => app.log.info({ node, instanceId }, 'FreeSWITCH node taken: this instance holds its event socket'));
  ownership.on('released', (node, reason) => app.log.info({ node, reason, instanceId }, 'FreeSWITCH node given up: its event socket is closed'));
  await ownership.start();
  const reloader = new ConfigReloader({ store, secrets, send: (command) => esl.send(command), onError: (err) => app.log.error({ err }, 'FreeSWITCH reload failed') });
  await reloader.start();
  const scheduler = handlers.calls
    ? new Scheduler({ store, calls: handlers.calls, nodes: new NodeAccess({ nodes: esl, records: { store, secrets } }), placement: () => placementCandidates(store), instanceId, ...config.scheduler, onError: (err, context) => app.log.error({ err, ...context }, 'recurring call scheduler failed') })
    : undefined;
  scheduler?.start();

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
        ['reloader', () => reloader.stop()],
        ['webhook deliveries', () => webhooks.stop()],
        ['AI calls', handlers.agents && (() => handlers.agents!.close())],
        ['media sockets', closeMedia],
        ['recordings', () => closeRecordings()],
        ['voicemail audio', () => closeVoicemailAudio()],
        ['node leases and event sockets', async () => {
          await ownership.stop();
          await esl.close();
        }],
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
