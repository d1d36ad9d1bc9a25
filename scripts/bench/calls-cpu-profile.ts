/**
 * A CPU profile of the process it is loaded into (`NODE_OPTIONS="--import tsx --import
 * <this file>"`, since Node 20 refuses `--cpu-prof` in NODE_OPTIONS): profiling starts at once and
 * the profile is written when the process exits, as `--cpu-prof` does, to
 * $BENCH_CPU_PROF/switchplane-<pid>.cpuprofile (open it in Chrome DevTools or speedscope).
 * `npm run bench:calls` loads it into Switchplane when BENCH_CPU_PROF is set.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';

const dir = process.env.BENCH_CPU_PROF;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  // The same-thread session answers synchronously, so the profile is written before the exit.
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(path.join(dir, `switchplane-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
