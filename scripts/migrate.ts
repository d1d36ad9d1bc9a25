/** `npm run migrate`: applies pending migrations in sql/ to DATABASE_URL (or the embedded database). */
import { loadConfig } from '../src/config.js';
import { openStore } from '../src/db/open.js';
import { runExplainingStartupErrors } from '../src/startup-error.js';

await runExplainingStartupErrors(async () => {
  const store = await openStore(loadConfig());
  await store.close();
  console.log('migrations applied');
});
