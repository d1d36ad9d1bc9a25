/**
 * The Node versions package.json's `engines` accepts are accepted by every installed package:
 * `npm ci` on the lowest release of each line it allows (Node 20 on our machines, Node 22) warns
 * EBADENGINE for none. Reads each package's `engines.node` from package-lock.json (lockfile v3
 * `packages`).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import semver from 'semver';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));
const manifest = read('package.json') as { engines: { node: string } };
const lock = read('package-lock.json') as { packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean }> };

/** The lowest version of each `||` alternative of a range: `^20.19.0 || >=22.13.0` → 20.19.0, 22.13.0. */
const lowestOfEach = (range: string) =>
  new semver.Range(range).set.map((comparators) => semver.minVersion(comparators.map((c) => c.value).join(' '))!.version);

t.test('every package accepts the lowest Node of each line the engines field allows, and the Node running the tests', async (t) => {
  const lowest = lowestOfEach(manifest.engines.node);
  t.ok(lowest.length > 0, `engines ${manifest.engines.node} starts at ${lowest.join(' and ')}`);
  t.ok(semver.satisfies(process.version, manifest.engines.node), `this Node (${process.version}) is within engines ${manifest.engines.node}`);
  const refusing = Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .flatMap(([path, entry]) => {
      const range = entry.engines && !Array.isArray(entry.engines) ? entry.engines.node : undefined;
      const refused = range ? lowest.filter((v) => !semver.satisfies(v, range)) : [];
      return refused.length > 0 ? [`${path.replace(/^.*node_modules\//, '')} wants node ${range}, not ${refused.join(', ')}`] : [];
    });
  t.same(refusing, [], `no package refuses Node ${lowest.join(' or ')}`);
  t.ok(Object.keys(lock.packages).length > 100, 'the lockfile lists the installed packages');
});
