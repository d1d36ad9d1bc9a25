/**
 * The repository's root folder and ../shared beside it (FreeSWITCH's captures and configuration).
 * The root is found through package.json, which build/ (the transpiled tests, scripts/transpile.ts)
 * links to the root's, so both paths are the same whether the tests run transpiled or not.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.dirname(realpathSync(fileURLToPath(new URL('../../package.json', import.meta.url))));
export const SHARED_DIR = path.join(REPO_ROOT, '..', 'shared');
