import t from 'tap';
import { FRAME_SAMPLES } from '../../src/media/audio-frames.js';
import { FrameClock, type Timers } from '../../src/media/frame-clock.js';
import { Playout, type PlayoutOptions } from '../../src/media/playout.js';

/**
 * Timers on a fake clock that only moves when told: like Node's, a timer fires no sooner than
 * 1 ms after it was set.
 */
class FakeTimers implements Timers {
  time = 0;
  /** Timers set and not yet fired or cleared; most at once. */
  maxPending = 0;
  fired = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  private seq = 0;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): number {
    this.pending.set(++this.seq, { at: this.time + Math.max(1, ms), fn });
    this.maxPending = Math.max(this.maxPending, this.pending.size);
    return this.seq;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves to `to`, firing each timer at its time, in order. */
  advanceTo(to: number): void {
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.pending) if (entry[1].at <= to && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.pending.delete(next[0]);
      this.time = Math.max(this.time, next[1].at);
      this.fired++;
      next[1].fn();
    }
    this.time = to;
  }

  /** A blocked event loop: time passes without any timer firing. */
  stall(ms: number): void {
    this.time += ms;
  }
}

interface Released {
  at: number;
  itemId: string;
  lateMs: number;
  pcm: Int16Array;
}

function rig(opts: Omit<PlayoutOptions, 'onFrame' | 'clock'> = {}, timers = new FakeTimers(), clock = new FrameClock(timers)) {
  const frames: Released[] = [];
  const playout = new Playout({ ...opts, clock, onFrame: (pcm, info) => frames.push({ at: timers.now(), ...info, pcm }) });
  return { timers, clock, playout, frames };
}

/** `ms` milliseconds of 8 kHz audio whose samples count up from `from`. */
const audio = (ms: number, from = 1) => Int16Array.from({ length: ms * 8 }, (_, i) => from + i);
const settled = () => new Promise((resolve) => setImmediate(resolve));

t.test('frames are 160 samples of the audio pushed, in order, one every 20 ms on the spurt\'s grid', async (t) => {
  const { timers, playout, frames } = rig();
  const pcm = Int16Array.from({ length: 8000 }, (_, i) => (i * 7) % 32000);
  let offset = 0;
  for (const size of [1, 159, 161, 480, 37, 2000, 3]) {
    playout.push('item_a', pcm.subarray(offset, offset + size));
    offset += size;
  }
  playout.push('item_a', pcm.subarray(offset));
  playout.end('item_a');
  t.ok(playout.speaking);
  timers.advanceTo(2000);
  t.equal(frames.length, 50);
  t.ok(frames.every((f) => f.pcm.length === FRAME_SAMPLES && f.itemId === 'item_a'));
  const out = new Int16Array(8000);
  frames.forEach((f, n) => out.set(f.pcm, n * FRAME_SAMPLES));
  t.same(out, pcm, 'the samples, in order');
  t.same(frames.map((f) => f.at), [1, ...Array.from({ length: 49 }, (_, n) => 20 * (n + 1))], 'the first on the next timer, then every 20 ms');
  t.same(frames.map((f) => f.lateMs), [1, ...Array(49).fill(0)]);
  t.notOk(playout.speaking);
  t.equal(playout.heardMs('item_a'), 1000);
});

t.test('a spurt starts prebufferMs after its first chunk, when prebufferMs is buffered, or when its audio is complete', async (t) => {
  t.test('after prebufferMs', async (t) => {
    const { timers, playout, frames } = rig();
    playout.push('a', audio(20));
    timers.advanceTo(39);
    t.equal(frames.length, 0, 'nothing before 40 ms');
    timers.advanceTo(40);
    t.same(frames.map((f) => [f.at, f.lateMs]), [[40, 0]]);
  });
  t.test('once prebufferMs is buffered', async (t) => {
    const { timers, playout, frames } = rig({ prebufferMs: 60 });
    playout.push('a', audio(20));
    timers.advanceTo(10);
    playout.push('a', audio(20));
    timers.advanceTo(25);
    t.equal(frames.length, 0);
    playout.push('a', audio(30));
    timers.advanceTo(100);
    t.same(frames.map((f) => f.at), [26, 45, 65], 'the spurt starts at 25 ms: its grid is 25 + n × 20');
    t.same(frames.map((f) => f.lateMs), [1, 0, 0]);
  });
  t.test('when the audio queued is complete', async (t) => {
    const { timers, playout, frames } = rig();
    playout.push('a', audio(20));
    playout.end('a');
    timers.advanceTo(100);
    t.same(frames.map((f) => f.at), [1], 'no wait for more of an item that ended');
  });
  t.test('at once with prebufferMs 0', async (t) => {
    const { timers, playout, frames } = rig({ prebufferMs: 0 });
    playout.push('a', audio(20));
    timers.advanceTo(100);
    t.same(frames.map((f) => f.at), [1]);
  });
});

t.test('a chunk in time continues the spurt; after a dry spell the next chunk starts a new one', async (t) => {
  const { timers, playout, frames } = rig();
  playout.push('a', audio(40));
  timers.advanceTo(30);
  playout.push('a', audio(50)); // in time for the frame due at 40: the grid goes on
  timers.advanceTo(90);
  t.same(frames.map((f) => f.at), [1, 20, 40, 60]);
  t.ok(playout.speaking, '10 ms queued: half a frame waits for the rest');
  timers.advanceTo(200);
  t.equal(frames.length, 4, 'at 80 ms no whole frame was queued: the spurt ended');
  playout.push('a', audio(20));
  timers.advanceTo(239);
  t.equal(frames.length, 4, 'a new spurt waits for its prebuffer');
  timers.advanceTo(240);
  t.same(frames.slice(4).map((f) => [f.at, f.lateMs]), [[240, 0]], 'the new spurt\'s grid starts 40 ms after its first chunk');
  t.equal(frames[4]!.pcm[0], 321, 'the half frame left by the dry spell goes first');
});

t.test('end() pads the last partial frame with silence; audio of another item ends the one before', async (t) => {
  const { timers, playout, frames } = rig();
  playout.push('a', audio(50));
  playout.end('a');
  playout.push('b', audio(12.5, 1000));
  playout.push('c', audio(20, 2000));
  playout.end('c');
  timers.advanceTo(500);
  t.same(frames.map((f) => f.itemId), ['a', 'a', 'a', 'b', 'c']);
  t.same([...frames[2]!.pcm], [...audio(10, 321), ...Array(80).fill(0)], 'a: 10 ms of audio, 10 ms of silence');
  t.same([...frames[3]!.pcm], [...audio(12.5, 1000), ...Array(60).fill(0)], 'b ended when c began');
  t.same(frames[4]!.pcm, audio(20, 2000));
  t.equal(playout.heardMs('a'), 50, 'padding is not heard');
  t.equal(playout.heardMs('b'), 12.5);
  playout.push('b', audio(20));
  timers.advanceTo(1000);
  t.equal(frames.length, 5, 'audio of an item that ended is ignored');
});

t.test('flush() drops all that is queued and returns the item playing with the ms heard of it', async (t) => {
  const { timers, playout, frames } = rig();
  playout.push('a', audio(60));
  playout.end('a');
  playout.push('b', audio(200));
  timers.advanceTo(90); // a: 1, 20, 40; b: 60, 80
  t.equal(frames.length, 5);
  t.same(playout.flush(), { itemId: 'b', heardMs: 40 });
  t.notOk(playout.speaking);
  t.equal(playout.heardMs('a'), 60, 'counted per item');
  t.equal(playout.heardMs('b'), 40);
  timers.advanceTo(1000);
  t.equal(frames.length, 5, 'nothing more of b');
  playout.push('b', audio(100));
  timers.advanceTo(2000);
  t.equal(frames.length, 5, 'late audio of the flushed item is ignored');
  t.equal(playout.flush(), null, 'nothing to cut');

  playout.push('c', audio(40));
  timers.advanceTo(2100);
  t.same(frames.slice(5).map((f) => f.itemId), ['c', 'c'], 'the next item plays');
});

t.test('flush() while prebuffering names the queued item, none of it heard', async (t) => {
  const { timers, playout } = rig();
  playout.push('a', audio(20));
  timers.advanceTo(10);
  t.same(playout.flush(), { itemId: 'a', heardMs: 0 });
  t.notOk(playout.speaking);
});

t.test('drained() resolves once everything pushed so far is released', async (t) => {
  const { timers, playout, frames } = rig();
  let done = false;
  await playout.drained(); // nothing pushed
  playout.push('a', audio(70));
  void playout.drained().then(() => (done = true));
  timers.advanceTo(60);
  await settled();
  t.equal(frames.length, 3);
  t.notOk(done, 'the whole frames are out, not the 10 ms left of an item still open');
  playout.push('a', audio(5));
  playout.end('a');
  timers.advanceTo(80);
  await settled();
  t.equal(frames.length, 4);
  t.ok(done, 'resolved with the last, padded frame');

  let flushed = false;
  playout.push('b', audio(100));
  void playout.drained().then(() => (flushed = true));
  playout.flush();
  await settled();
  t.ok(flushed, 'audio dropped by flush() is drained too');

  let closed = false;
  playout.push('c', audio(100));
  void playout.drained().then(() => (closed = true));
  playout.close();
  await settled();
  t.ok(closed, 'and by close()');
});

t.test('lateMs is release time − due time, and a late clock catches up on the same grid', async (t) => {
  const { timers, playout, frames } = rig();
  playout.push('a', audio(20));
  playout.push('a', audio(200));
  timers.advanceTo(20); // frames at 1 and 20
  timers.stall(75); // the event loop is blocked until 95
  timers.advanceTo(200);
  t.same(frames.map((f) => [f.at, f.lateMs]), [[1, 1], [20, 0], [95, 55], [95, 35], [95, 15], [100, 0], [120, 0], [140, 0], [160, 0], [180, 0], [200, 0]]);
});

t.test('leadMs releases that far ahead; heard counts only what has started playing', async (t) => {
  const { timers, playout, frames } = rig({ leadMs: 100, prebufferMs: 400 });
  playout.push('a', audio(300));
  timers.advanceTo(400); // the prebuffer deadline: the spurt starts at 400
  t.equal(frames.length, 6, 'frames 0–5 (100 ms ahead) at once');
  t.ok(frames.every((f) => f.at === 400 && f.lateMs === 0));
  t.equal(playout.heardMs('a'), 20, 'the first frame is playing');
  timers.advanceTo(450);
  t.same(frames.slice(6).map((f) => f.at), [420, 440], 'then one per 20 ms, 100 ms ahead of the grid');
  t.equal(playout.heardMs('a'), 60, 'released 160 ms, played 3 frames');
  t.same(playout.flush(), { itemId: 'a', heardMs: 60 }, 'the frames sent ahead are not heard');
  t.equal(playout.heardMs('a'), 60);
});

t.test('with leadMs, a spurt that starts while audio is still playing is laid after it', async (t) => {
  const { timers, playout, frames } = rig({ leadMs: 100 });
  playout.push('a', audio(100));
  playout.end('a');
  timers.advanceTo(30); // a: 5 frames at 1, playing until 101
  t.equal(frames.length, 5);
  t.ok(playout.speaking, 'still playing');
  playout.push('b', audio(40));
  timers.advanceTo(100);
  t.same(frames.slice(5).map((f) => f.itemId), ['b', 'b'], 'b goes out ahead');
  t.equal(playout.heardMs('b'), 0, 'but is not heard before a has played');
  timers.advanceTo(101);
  t.equal(playout.heardMs('b'), 20);
  t.equal(playout.heardMs('a'), 100);
});

t.test('200 playouts share one clock: one timer at a time, each on its own grid', async (t) => {
  const timers = new FakeTimers();
  const clock = new FrameClock(timers);
  const rigs = Array.from({ length: 200 }, () => rig({}, timers, clock));
  rigs.forEach((r, i) => {
    timers.advanceTo(i / 10); // spurts start 0.1 ms apart
    r.playout.push(`item_${i}`, audio(1000));
    r.playout.end(`item_${i}`);
  });
  timers.advanceTo(1100);
  t.equal(timers.maxPending, 1, 'never more than one timer armed');
  t.ok(timers.fired < 200 * 50, `${timers.fired} timer callbacks for 10,000 frames`);
  for (const [i, { frames }] of rigs.entries()) {
    const start = i / 10;
    if (frames.length !== 50) t.fail(`playout ${i}: ${frames.length} frames`);
    frames.forEach((f, n) => {
      if (f.at < start + 20 * n || f.lateMs !== f.at - (start + 20 * n) || f.lateMs > 1) t.fail(`playout ${i} frame ${n} at ${f.at}, late ${f.lateMs}`);
    });
  }
  t.pass('every frame on its grid, never early, at most 1 ms late');
});

t.test('the clock runs tasks in due order, never early, off a timer rounded up to whole ms', async (t) => {
  const timers = new FakeTimers();
  const clock = new FrameClock(timers);
  const ran: [string, number][] = [];
  const task = (name: string) => () => ran.push([name, timers.now()]);
  const [a, b, c] = [task('a'), task('b'), task('c')];
  clock.schedule(a, 30);
  clock.schedule(b, 10.5);
  clock.schedule(c, 20);
  clock.schedule(c, 5); // moved earlier
  clock.cancel(a);
  timers.advanceTo(100);
  t.same(ran, [['c', 5], ['b', 11]]);
});

t.test('close() stops a playout and ignores what comes after', async (t) => {
  const { timers, playout, frames } = rig();
  playout.push('a', audio(100));
  timers.advanceTo(30);
  playout.close();
  playout.push('a', audio(100));
  timers.advanceTo(500);
  t.equal(frames.length, 2);
  t.notOk(playout.speaking);
  t.equal(playout.flush(), null);
});
