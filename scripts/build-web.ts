/**
 * `npm run build:web` (also run by `npm start`'s prestart and by scripts/test-setup.sh): builds the
 * portal (web/, Vite) into web/dist/ when web/dist/index.html is missing or older than any file the
 * build reads: everything under web/ except dist/ (sources, index.html, vite.config.ts,
 * tsconfig.json) and package-lock.json (the libraries). Otherwise prints nothing and does nothing,
 * so starting again costs no build. `--force` builds regardless. The build is written beside
 * (node_modules/.cache/) and then put in place of web/dist with renames, so a running service never
 * finds web/dist half-written, and builds started at the same time do not mix their files.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The newest modification time (ms) of the files under `dir`, skipping `skip` directories. */
async function newest(dir: string, skip: ReadonlySet<string>): Promise<number> {
  let latest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip.has(full)) latest = Math.max(latest, await newest(full, skip));
    } else if (entry.isFile()) {
      latest = Math.max(latest, (await stat(full)).mtimeMs);
    }
  }
  return latest;
}

/** Modification time (ms) of `dist`/index.html, or null when there is no build. */
async function builtAt(dist: string): Promise<number | null> {
  try {
    return (await stat(path.join(dist, 'index.html'))).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * Why the portal of the checkout at `root` needs building (for the log line), or null when its
 * web/dist is current.
 */
export async function buildReason(root = ROOT): Promise<string | null> {
  const web = path.join(root, 'web');
  const dist = path.join(web, 'dist');
  const built = await builtAt(dist);
  if (built === null) return 'web/dist is missing';
  if ((await stat(path.join(root, 'package-lock.json'))).mtimeMs > built) return 'package-lock.json changed since the last build';
  return (await newest(web, new Set([dist, path.join(web, 'node_modules')]))) > built ? 'web/ changed since the last build' : null;
}

/** Builds the portal into a scratch directory, then swaps it in as web/dist. */
async function buildPortal(): Promise<void> {
  const scratch = path.join(ROOT, 'node_modules', '.cache', `portal-build-${process.pid}`);
  const dist = path.join(ROOT, 'web', 'dist');
  const old = `${scratch}-old`;
  await mkdir(path.dirname(scratch), { recursive: true });
  try {
    await build({ configFile: path.join(ROOT, 'web', 'vite.config.ts'), logLevel: 'warn', build: { outDir: scratch, emptyOutDir: true } });
    // Another build may put its web/dist in place between the two renames: then move that aside too.
    for (let attempt = 1; ; attempt++) {
      await rm(old, { recursive: true, force: true });
      await rename(dist, old).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      try {
        await rename(scratch, dist);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (attempt >= 3 || (code !== 'ENOTEMPTY' && code !== 'EEXIST')) throw err;
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await rm(old, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const reason = process.argv.includes('--force') ? 'asked with --force' : await buildReason();
  if (reason) {
    const started = Date.now();
    process.stdout.write(`building the portal (${reason})…\n`);
    await buildPortal();
    process.stdout.write(`portal built into web/dist in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
}
