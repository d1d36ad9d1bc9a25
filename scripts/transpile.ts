/**
 * `npm run transpile` (run by `npm test` before tap): writes src/, test/ and scripts/ as plain
 * JavaScript into build/, one .js file (with a linked source map to the .ts) per .ts file, with
 * esbuild (types stripped, nothing bundled, imports left as written: they already name .js files).
 * The test run then loads JavaScript: no TypeScript loader in the test processes or in the
 * Switchplane and script processes they start.
 * Types are checked by `npm run typecheck`, not here.
 *
 * Everything else keeps its place: each other entry of the repository root (sql/, templates/,
 * web/, freeswitch/, package.json, README.md, …) and each file under src/, test/ and scripts/
 * that is not TypeScript (SIPp scenarios, WAV fixtures) is linked from the same path under
 * build/, so paths made from `import.meta.url` find them, and build/ can be a process's working
 * directory as the root is. build/ is written anew each run: a deleted test leaves nothing behind.
 */
import { mkdir, readdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = path.join(ROOT, 'build');
const CODE_DIRS = ['src', 'test', 'scripts'];
/** Root entries build/ does not mirror: itself, the installed packages (found from build/ by Node's lookup upwards) and git's folder. */
const NOT_LINKED = new Set(['build', 'node_modules', '.git', ...CODE_DIRS]);

/** Paths (relative to ROOT) of the files under `dir`. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** Links build/<rel> to <ROOT>/<rel> with a relative link (the tree can move). */
async function link(rel: string): Promise<void> {
  const at = path.join(OUT, rel);
  await mkdir(path.dirname(at), { recursive: true });
  await symlink(path.relative(path.dirname(at), path.join(ROOT, rel)), at);
}

const started = performance.now();
await rm(OUT, { recursive: true, force: true });
const files = (await Promise.all(CODE_DIRS.map(filesUnder))).flat();
const sources = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
await build({
  entryPoints: sources.map((f) => path.join(ROOT, f)),
  outdir: OUT,
  outbase: ROOT,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
});
await Promise.all(files.filter((f) => !f.endsWith('.ts')).map(link));
for (const entry of await readdir(ROOT)) if (!NOT_LINKED.has(entry)) await link(entry);
console.log(`transpiled ${sources.length} files into build/ in ${Math.round(performance.now() - started)} ms`);
