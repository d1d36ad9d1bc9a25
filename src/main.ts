/**
 * Composition root: configuration → database (migrated) → secrets → demo data on a new embedded
 * database → the first admin API key → HTTP app → ESL nodes and the reloader → listen; SIGINT/SIGTERM close the server, then the database.
 */
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { openStore } from './db/open.js';
import { ensureAdminKey } from './domain/api-keys.js';
import { loadSecretBox } from './domain/secrets.js';
import { EslNodes } from './esl/nodes.js';
import { ConfigReloader } from './esl/reload.js';
import { createMetrics } from './metrics.js';
import { seedDemo } from './seed/demo.js';

const config = loadConfig();
const store = await openStore(config);
const secrets = await loadSecretBox(config.secretsKey, config.dataDir);
const esl = config.esl.nodes.length > 0 ? new EslNodes(config.esl, (err, node, command) => app.log.warn({ err, node, command }, 'FreeSWITCH command failed')) : undefined;
const app = await buildApp({ config, store, secrets, esl, metrics: createMetrics(true), logger: { level: config.logLevel } });

if (store.kind === 'pglite' && config.demoSeed) {
  const created = await seedDemo(store, secrets);
  if (created.length) app.log.info({ tenants: created }, 'demo tenants loaded (for trying Switchplane out only)');
}
const adminKey = await ensureAdminKey(store, config.api.adminKey);
if (adminKey) {
  // Printed once, on the start that created it; only its hash is stored.
  process.stdout.write(`\nAdmin API key (shown once, keep it): ${adminKey}\n\n`);
}

let reloader: ConfigReloader | undefined;
if (esl) {
  esl.start();
  reloader = new ConfigReloader({ store, secrets, send: (command) => esl.send(command), onError: (err) => app.log.error({ err }, 'FreeSWITCH reload failed') });
  await reloader.start();
}

await app.listen({ host: config.host, port: config.port });

let closing = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await reloader?.stop();
    await esl?.close();
    await app.close();
    await store.close();
    process.exit(0);
  });
}
