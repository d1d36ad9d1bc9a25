/**
 * How a test starts the repository's own code (src/main.ts, a script, a snippet importing src/) in
 * a Node process of its own. Under `npm test` the tests run transpiled from build/
 * (scripts/transpile.ts), and so does the child: `node build/…/x.js`, no TypeScript loader. A
 * test run from its .ts file (`npx tap --node-arg=--import=tsx test/x.test.ts`) starts the child
 * with tsx.
 */
import { fileURLToPath } from 'node:url';

const TRANSPILED = import.meta.url.endsWith('.js');

/** The children's working directory: the repository root, or build/, which mirrors it, when transpiled. */
export const CHILD_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** `file` (relative to CHILD_ROOT, e.g. `src/main.ts`) as this run loads it: its .js twin when transpiled. */
export const entry = (file: string): string => (TRANSPILED ? file.replace(/\.ts$/, '.js') : file);

/** Node's arguments for `args` (an entry and its arguments, or `-e` code): tsx's loader first unless transpiled. */
export const nodeArgs = (args: string[]): string[] => (TRANSPILED ? args : ['--import', 'tsx', ...args]);
