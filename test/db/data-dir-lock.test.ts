/**
 * One Switchplane per embedded database directory: a second open, in this process or as a second
 * `src/main.ts` on the same DATA_DIR, is refused with a message naming the directory and the
 * holder's pid, and exits 1 without a stack trace; the first keeps serving, and its writes are
 * there after a restart. The lock of a process that died is taken over at once.
 */
import t, { type Test } from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataDirInUseError, lockDataDir } from '../../src/db/data-dir-lock.js';
import { openPglite } from '../../src/db/pglite.js';
import { exited, stopChild, track } from '../helpers/child-processes.js';
import { CHILD_ROOT, entry, nodeArgs } from '../helpers/node-child.js';
import { freePort } from '../helpers/sipp.js';
import { newAdminKey, startSwitchplane } from '../helpers/switchplane-process.js';

t.setTimeout(300_000); // two Switchplane processes on the embedded database, one after the other

function tempDir(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

interface Child {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output holds `text`; rejects if the process ends first. */
  printed(text: string): Promise<void>;
}

/** Node with `args` (node-child.ts) in the project root, on the embedded database; its output is collected. */
function node(t: Test, args: string[], env: Record<string, string> = {}): Child {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.DATABASE_URL;
  delete childEnv.SECRETS_KEY;
  const child = track(spawn(process.execPath, nodeArgs(args), { cwd: CHILD_ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  let out = '';
  const waiters = new Set<() => void>();
  const collect = (d: Buffer) => {
    out += d.toString();
    for (const wake of waiters) wake();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  t.teardown(() => stopChild(child, 'SIGKILL', 0));
  return {
    child,
    output: () => out,
    printed: (text) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (out.includes(text)) resolve();
          else if (child.exitCode !== null || child.signalCode !== null) reject(new Error(`exited before printing ${text}: ${out}`));
          else return;
          waiters.delete(check);
          child.off('exit', check);
        };
        waiters.add(check);
        child.on('exit', check);
        check();
      }),
  };
}

t.test('a second open of a directory in the same process is refused until the first is closed', async (t) => {
  const dir = path.join(tempDir(t), 'pglite');
  const first = await openPglite(dir);
  const refused = await openPglite(dir).then(
    () => undefined,
    (err: unknown) => err,
  );
  t.ok(refused instanceof DataDirInUseError, 'DataDirInUseError');
  t.equal((refused as DataDirInUseError).holder?.pid, process.pid, 'the holder is this process');
  t.match((refused as Error).message, `${dir} is in use by another Switchplane (pid ${process.pid})`);
  t.match((refused as Error).message, /DATA_DIR/, 'the message says how to fix it');
  await first.close();
  t.notOk(existsSync(`${dir}.lock`), 'closing releases the lock');
  const second = await openPglite(dir);
  t.equal(second.kind, 'pglite', 'opens again once the first is closed');
  await second.close();
});

t.test('a lock held by another process is refused; once that process is killed it is taken over at once', async (t) => {
  const dir = path.join(tempDir(t), 'pglite');
  const holder = node(t, [
    '--input-type=module',
    '-e',
    `import { lockDataDir } from './${entry('src/db/data-dir-lock.ts')}';
await lockDataDir(${JSON.stringify(dir)}, () => process.exit(3));
console.log('locked');
setInterval(() => undefined, 1000);`,
  ]);
  await holder.printed('locked');
  const refused = await lockDataDir(dir, () => undefined).then(
    () => undefined,
    (err: unknown) => err,
  );
  t.ok(refused instanceof DataDirInUseError, 'refused while the holder runs');
  t.equal((refused as DataDirInUseError).holder?.pid, holder.child.pid, 'names the holder\'s pid');

  holder.child.kill('SIGKILL');
  await exited(holder.child);
  t.ok(existsSync(`${dir}.lock`), 'the killed holder left its lock behind');
  const started = Date.now();
  const release = await lockDataDir(dir, () => undefined);
  t.comment(`lock of a killed process taken over in ${Date.now() - started} ms`);
  t.same(JSON.parse(readFileSync(`${dir}.lock.owner`, 'utf8')).pid, process.pid, 'the owner file names the new holder');
  await release();
  t.notOk(existsSync(`${dir}.lock`), 'released');
  t.notOk(existsSync(`${dir}.lock.owner`), 'owner file removed');
});

t.test('a second src/main.ts on the same DATA_DIR exits 1 with a clear message; the first keeps serving and its writes survive a restart', async (t) => {
  const dataDir = tempDir(t);
  const first = await startSwitchplane(t, await freePort('tcp'), {}, dataDir);
  const customer = await first.ok('POST', '/api/v1/customers', { name: 'Locked', slug: 'locked', sipDomain: 'locked.switchplane.test' });
  const holderPid = JSON.parse(readFileSync(path.join(dataDir, 'pglite.lock.owner'), 'utf8')).pid as number;

  const second = node(t, [entry('src/main.ts')], { PORT: String(await freePort('tcp')), HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_API_KEY: newAdminKey(), DEMO_SEED: 'false' });
  // Without the lock the second one would start and listen: that ends the wait too, and fails below.
  await Promise.race([exited(second.child), second.printed('Server listening')]);
  t.equal(second.child.exitCode, 1, 'the second start exits 1');
  t.match(second.output(), `${path.join(dataDir, 'pglite')} is in use by another Switchplane (pid ${holderPid})`, 'names the directory and the running Switchplane');
  t.notMatch(second.output(), /^\s+at /m, 'no stack trace');
  t.comment(`second start refused: ${second.output().trim()}`);

  const listed = await first.ok('GET', `/api/v1/customers/${customer.id}`);
  t.equal(listed.slug, 'locked', 'the first Switchplane still serves');
  await first.stop({ keepData: true });
  const restarted = await startSwitchplane(t, await freePort('tcp'), { ADMIN_API_KEY: first.adminKey }, dataDir);
  const kept = await restarted.ok('GET', `/api/v1/customers/${customer.id}`);
  t.equal(kept.slug, 'locked', 'the first one\'s write is there after a restart');
});
