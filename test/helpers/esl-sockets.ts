/**
 * Who holds event sockets to a FreeSWITCH on 127.0.0.1: the established TCP connections to its
 * event-socket port, by the PID of the process holding the client end (iproute2 `ss -tnp`, which
 * names the processes of the user running the tests).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The PIDs holding a connection to 127.0.0.1:`port`, one entry per connection. */
export async function eslSocketHolders(port: number): Promise<number[]> {
  const { stdout } = await run('ss', ['-Htnp', 'state', 'established', 'dst', `127.0.0.1:${port}`]);
  return [...stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}
