/** `npm run seed:demo`: loads the demo tenants (README "Demo data") into DATABASE_URL or the embedded database. */
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import { loadSecretBox } from '../src/domain/secrets.js';
import { seedDemo } from '../src/seed/demo.js';
import { runExplainingStartupErrors } from '../src/startup-error.js';

await runExplainingStartupErrors(async () => {
  const config = loadConfig();
  const store = await openStore(config);
  const created = await seedDemo(store, await loadSecretBox(config.secretsKey, config.dataDir, store));
  await store.close();
  console.log(created.tenants.length ? `demo tenants created: ${created.tenants.join(', ')}` : 'demo tenants already present');
  for (const l of created.logins) console.log(`demo login: ${l.email} / ${l.password} (${l.role} of ${l.customer})`);
});
