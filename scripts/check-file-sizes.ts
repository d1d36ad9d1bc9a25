/**
 * Every file under src/ and web/src/ has at most MAX_LINES lines (`npm run lint:file-sizes`).
 * Prints each longer file with its line count, longest first, and exits with status 1 if there is
 * one; nothing written by hand is allowlisted. The one file not counted is GENERATED, which
 * `npm run api:types` writes from the OpenAPI document (nobody edits it). A line is what `wc -l`
 * counts, plus a last line without a newline.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LINES = 300;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIRS = ['src', 'web/src'].map((d) => path.join(ROOT, d));
const GENERATED = path.join(ROOT, 'web/src/api/schema.d.ts');

async function files(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await files(full)));
    else if (entry.isFile()) found.push(full);
  }
  return found;
}

function lineCount(text: string): number {
  if (text === '') return 0;
  const newlines = text.split('\n').length - 1;
  return text.endsWith('\n') ? newlines : newlines + 1;
}

const over: Array<{ file: string; lines: number }> = [];
for (const dir of DIRS) {
  for (const file of await files(dir)) {
    if (file === GENERATED) continue;
    const lines = lineCount(await readFile(file, 'utf8'));
    if (lines > MAX_LINES) over.push({ file: path.relative(ROOT, file), lines });
  }
}
over.sort((a, b) => b.lines - a.lines);
for (const { file, lines } of over) process.stderr.write(`${file}: ${lines} lines (at most ${MAX_LINES})\n`);
if (over.length > 0) {
  process.stderr.write(`${over.length} file(s) in src/ over ${MAX_LINES} lines: split each by job\n`);
  process.exit(1);
}
