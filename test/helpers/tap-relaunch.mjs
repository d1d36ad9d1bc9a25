/**
 * Given to node before every test file (package.json, tap's `node-arg`): runs the test file in a
 * child node without @tapjs/processinfo's module loader, and stands in for that child towards tap.
 *
 * tap starts each test file with `--import @tapjs/processinfo/import`, whose loader thread sees
 * every module the file loads, to record it for coverage and `tap --changed`. Switchplane's runs
 * use neither (coverage is off), and the loader cost 1.1–2 CPU s per test file, and about 0.8 s per
 * Switchplane process a test starts, since process-on-spawn hands it to every child.
 *
 * This module runs before the test file is loaded, and the test file is then never loaded here:
 * - the child is `node <this process's node arguments without the loader and this module> <test
 *   file> <its arguments>`, started through `env` with this process's NODE_OPTIONS less the loader
 *   (tap puts it there too), so that the NODE_OPTIONS that process-on-spawn adds do not bring it back;
 * - tap's IPC messages pass both ways (its timeout notice, a test's `t.setTimeout`);
 * - the signals tap sends pass on (SIGTERM, SIGINT, SIGHUP, SIGALRM);
 * - this process exits as the child did.
 * A test file run without the loader (`node build/test/x.test.js`) is left alone.
 */
import { spawn } from 'node:child_process';

const LOADER = /@tapjs[\\/]processinfo/;
const SELF = /tap-relaunch\.mjs$/;
/** NODE_OPTIONS without the loader, which tap puts there (quoted) as well as in the arguments. */
const NODE_OPTIONS = (process.env.NODE_OPTIONS ?? '').replace(/(^|\s)"?--(import|loader|experimental-loader)[= ][^\s"]*@tapjs[\\/]processinfo[^\s"]*"?/g, '').trim();

if (process.execArgv.some((arg) => LOADER.test(arg)) && process.argv[1]) {
  const nodeArgs = process.execArgv.filter((arg) => !LOADER.test(arg) && !SELF.test(arg));
  const child = spawn('env', [`NODE_OPTIONS=${NODE_OPTIONS}`, process.execPath, ...nodeArgs, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', ...(process.send ? ['ipc'] : [])],
  });
  if (process.send) {
    process.on('message', (message) => child.connected && child.send(message));
    child.on('message', (message) => process.connected && process.send?.(message));
    process.channel?.unref();
  }
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGALRM']) process.on(signal, () => child.kill(signal));
  const [code, signal] = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  });
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
}
