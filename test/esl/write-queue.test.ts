import t from 'tap';
import { WriteQueue } from '../../src/esl/write-queue.js';

const queue = (gatherMs: number, batches: string[][]) =>
  new WriteQueue<string>({
    write: async (batch) => void batches.push(batch),
    merge: (waiting, newer) => `${waiting}+${newer}`,
    onFailure: () => undefined,
    gatherMs,
  });

t.test('with gatherMs, items pushed while a batch gathers are written together, coalesced by key, in order of their latest push', async (t) => {
  const batches: string[][] = [];
  const q = queue(5, batches);
  q.push('1001', 'register-1');
  q.push('1002', 'register-2');
  q.push('1001', 'refresh-1');
  q.push('1003', 'unregister-3');
  await q.idle();
  t.same(batches, [['register-2', 'register-1+refresh-1', 'unregister-3']]);
  q.push('1001', 'refresh-1-again');
  await q.idle();
  t.same(batches.at(-1), ['refresh-1-again'], 'an item pushed after its batch was written goes in a batch of its own');
});

t.test('closing writes what is waiting without waiting out the gathering', async (t) => {
  const batches: string[][] = [];
  const q = queue(10 * 60_000, batches); // longer than the test's timeout
  q.push('1001', 'register-1');
  await q.close();
  t.same(batches, [['register-1']]);
});
