/**
 * scripts/build-web.ts builds the portal only when web/dist is missing or older than what the build
 * reads (anything under web/ but dist/, and package-lock.json), so `npm start` builds once.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { buildReason } from '../../scripts/build-web.js';

t.test('a build is needed when web/dist is missing or older than a source, the config or the lock file', async (t) => {
  const root = await mkdtemp(path.join(tmpdir(), 'build-web-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const file = (rel: string) => path.join(root, rel);
  const at = (rel: string, seconds: number) => utimes(file(rel), seconds, seconds);
  await mkdir(file('web/src/pages'), { recursive: true });
  await writeFile(file('package-lock.json'), '{}');
  await writeFile(file('web/index.html'), '<!doctype html>');
  await writeFile(file('web/vite.config.ts'), 'export default {}');
  await writeFile(file('web/src/pages/Page.tsx'), 'export {}');
  for (const rel of ['package-lock.json', 'web/index.html', 'web/vite.config.ts', 'web/src/pages/Page.tsx']) await at(rel, 1000);

  t.equal(await buildReason(root), 'web/dist is missing');

  await mkdir(file('web/dist/assets'), { recursive: true });
  await writeFile(file('web/dist/index.html'), '<!doctype html>');
  await writeFile(file('web/dist/assets/index-1.js'), '');
  await at('web/dist/index.html', 2000);
  await at('web/dist/assets/index-1.js', 3000);
  t.equal(await buildReason(root), null, 'current: nothing to do (files of dist/ itself do not count)');

  await at('web/src/pages/Page.tsx', 2500);
  t.equal(await buildReason(root), 'web/ changed since the last build', 'a source deep under web/src');
  await at('web/src/pages/Page.tsx', 1000);
  await at('web/vite.config.ts', 2500);
  t.equal(await buildReason(root), 'web/ changed since the last build', 'the Vite config');
  await at('web/vite.config.ts', 1000);
  await at('package-lock.json', 2500);
  t.equal(await buildReason(root), 'package-lock.json changed since the last build', 'the libraries');
  await at('package-lock.json', 1000);
  t.equal(await buildReason(root), null, 'current again');
});
