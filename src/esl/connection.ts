/**
 * One inbound event-socket connection to one FreeSWITCH node (mod_event_socket.c), through
 * modesl's inbound `Connection`, kept up for the life of the process.
 *
 * The protocol, as mod_event_socket.c speaks it:
 * - on connect FreeSWITCH sends `Content-Type: auth/request`; modesl answers `auth <password>`
 *   and reads the `command/reply`: `Reply-Text: +OK accepted`, or `-ERR invalid` followed by a
 *   `text/disconnect-notice` frame and the socket closing;
 * - a new socket has no subscription, so every connect subscribes (src/esl/subscription.ts);
 * - events arrive as `text/event-json` frames (`Content-Length` in bytes); each is emitted as the
 *   plain object FreeSWITCH serialised (`switch_event_serialize_json`: header → string, or array
 *   for multi-valued headers, body in `_body`), synchronously and never awaited, so a slow or
 *   throwing handler cannot stall or break the read loop;
 * - `api <cmd>` blocks that socket in FreeSWITCH until an `api/response` frame carries the
 *   output; `bgapi <cmd>` with our own `Job-UUID` header gets a `command/reply`
 *   (`+OK Job-UUID: <uuid>`) at once and the output later as the body of a `BACKGROUND_JOB`
 *   event with that `Job-UUID`. Output starting `-ERR` (or mod_commands' `-USAGE`) is a failure.
 *
 * modesl does not reconnect (node-esl issue #34) and forgets pending callbacks when the socket
 * dies (#58): every link loss rejects what is pending, and links are reopened with capped
 * exponential backoff with jitter (p-retry: delay = initialMs × 2^n × [1, 2), at most maxMs). A
 * link counts as established, and the schedule starts over, once it has stayed up for maxMs, so
 * a FreeSWITCH that accepts and drops at once is not hammered (node-esl issue #43). Durations: ms.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import esl from 'modesl';
import pRetry from 'p-retry';
import { command, takeJsonEvents, toEvent } from './modesl-frames.js';
import type { EslEvent } from './events.js';
import type { EslConnectionOptions, EslHealth } from './link-options.js';
import { subscribeCommands } from './subscription.js';

export type { EslEvent } from './events.js';
export type { EslConnectionOptions, EslHealth } from './link-options.js';

interface Link {
  conn: esl.Connection;
  socket: Socket;
  /** Resolves, with the reason, when the socket has closed. */
  closed: Promise<Error>;
}

const FAILED = /^-(ERR|USAGE)/;

/**
 * The link to one node. Emits `connected` (authenticated and subscribed), `disconnected` (with
 * the reason, only after `connected`), `failed` (each failed attempt to connect: refused, timed
 * out, `-ERR invalid`; retried after the backoff), `event` and `malformed`; never `error`.
 */
export class EslConnection extends EventEmitter<{
  connected: [];
  disconnected: [reason: Error];
  failed: [reason: Error];
  event: [event: EslEvent];
  /** An event frame without an `Event-Name` (unparsable JSON, or a frame FreeSWITCH never sends). */
  malformed: [frame: EslEvent];
}> {
  private readonly stopping = new AbortController();
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly subscribeCommands: string[];
  private link: Link | undefined;
  private started = false;
  private connected = false;
  private since: string | null = null;
  private eventsReceived = 0;
  private lastError: string | null = null;
  /** Reject functions of every api/bgapi call still waiting for FreeSWITCH. */
  private readonly pending = new Set<(err: Error) => void>();
  /** BACKGROUND_JOB body handlers by Job-UUID. */
  private readonly jobs = new Map<string, (body: string) => void>();

  constructor(private readonly opts: EslConnectionOptions) {
    super();
    this.backoff = opts.backoff ?? { initialMs: 500, maxMs: 30000 };
    this.subscribeCommands = subscribeCommands(opts.events);
  }

  /** Starts connecting (and reconnecting) in the background; listen for events first. */
  start(): this {
    if (this.started || this.stopping.signal.aborted) return this;
    this.started = true;
    this.since = new Date().toISOString();
    void this.run();
    return this;
  }

  /** Stops reconnecting, fails pending calls, ends the socket; resolves once it is closed. */
  async close(): Promise<void> {
    this.stopping.abort();
    const link = this.link;
    if (!link) return;
    link.socket.end(); // FreeSWITCH closes its side when it reads EOF
    const force = setTimeout(() => link.socket.destroy(), 1000);
    await link.closed;
    clearTimeout(force);
  }

  health(): EslHealth {
    const { name, host, port } = this.opts;
    return { name, host, port, connected: this.connected, since: this.since, eventsReceived: this.eventsReceived, lastError: this.lastError };
  }

  /**
   * Runs an instant command (`api <command>`) and resolves with its output.
   * @throws when not connected, on `-ERR`/`-USAGE` output, on link loss or after `timeoutMs`
   */
  async api(cmd: string, opts: { timeoutMs?: number } = {}): Promise<string> {
    const conn = this.connection(cmd);
    const what = `api ${cmd}`;
    return this.track<string>(what, opts.timeoutMs ?? 10000, (resolve, reject) =>
      conn.api(cmd, (res) => {
        const body = res.getBody();
        if (FAILED.test(body)) reject(new Error(`${what} failed on ${this.opts.name}: ${body.trim()}`));
        else resolve(body);
      }),
    );
  }

  /**
   * Starts a background command (`bgapi <command>`). Resolves with the job UUID once FreeSWITCH
   * accepted it; `result` resolves with the `BACKGROUND_JOB` body (rejects like `api`). Both
   * share `timeoutMs`. A caller that ignores `result` gets no unhandled rejection from it.
   */
  async bgapi(cmd: string, opts: { timeoutMs?: number } = {}): Promise<{ jobUuid: string; result: Promise<string> }> {
    const conn = this.connection(cmd);
    const what = `bgapi ${cmd}`;
    const timeoutMs = opts.timeoutMs ?? 120000;
    const jobUuid = randomUUID();
    const result = this.track<string>(what, timeoutMs, (resolve, reject) => {
      this.jobs.set(jobUuid, (body) => {
        if (FAILED.test(body)) reject(new Error(`${what} failed on ${this.opts.name}: ${body.trim()}`));
        else resolve(body);
      });
    });
    result.catch(() => undefined).finally(() => this.jobs.delete(jobUuid));
    const reply = await this.track<string>(what, timeoutMs, (resolve) =>
      conn.sendRecv(`bgapi ${cmd}`, { 'Job-UUID': jobUuid }, (res) => resolve(res.getHeader('Reply-Text') ?? '')),
    );
    if (!reply.startsWith('+OK')) {
      this.jobs.get(jobUuid)?.(FAILED.test(reply) ? reply : `-ERR ${reply}`);
      throw new Error(`${what} refused by ${this.opts.name}: ${reply}`);
    }
    return { jobUuid, result };
  }

  /**
   * Queues a dialplan application on a channel (`sendmsg <uuid>` with `call-command: execute`,
   * mod_event_socket.c): it runs in the channel's own thread after the ones queued before it,
   * with no lead-in (uuid_broadcast first reads 5 frames, switch_ivr.c). Resolves once
   * FreeSWITCH accepted it (`+OK`).
   * @throws when not connected, on `-ERR` (no such channel), on link loss or after `timeoutMs`
   */
  async execute(uuid: string, app: string, arg: string, opts: { timeoutMs?: number } = {}): Promise<void> {
    const what = `sendmsg ${uuid} execute ${app}`;
    const conn = this.connection(`sendmsg ${uuid}`);
    if (/[\r\n]/.test(app + arg)) throw new Error('an application and its argument must be one line');
    const reply = await this.track<string>(what, opts.timeoutMs ?? 10000, (resolve) =>
      conn.sendRecv(`sendmsg ${uuid}`, { 'call-command': 'execute', 'execute-app-name': app, 'execute-app-arg': arg }, (res) => resolve(res.getHeader('Reply-Text') ?? '')),
    );
    if (!reply.startsWith('+OK')) throw new Error(`${what} refused by ${this.opts.name}: ${reply}`);
  }

  /** The connected modesl Connection, for a command that is one line. */
  private connection(cmd: string): esl.Connection {
    if (!cmd || /[\r\n]/.test(cmd)) throw new Error('an ESL command must be one non-empty line');
    if (!this.connected || !this.link) throw new Error(`ESL node ${this.opts.name} is not connected`);
    return this.link.conn;
  }

  /** A promise that fails after `timeoutMs` or when the link is lost, whichever comes first. */
  private track<T>(what: string, timeoutMs: number, start: (resolve: (value: T) => void, reject: (err: Error) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        this.pending.delete(fail);
      };
      const fail = (err: Error) => {
        settle();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`${what}: no answer from ${this.opts.name} within ${timeoutMs} ms`)), timeoutMs);
      this.pending.add(fail);
      start((value) => {
        settle();
        resolve(value);
      }, fail);
    });
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      const link = await pRetry(() => this.attempt(), {
        retries: Infinity,
        factor: 2,
        minTimeout: this.backoff.initialMs,
        maxTimeout: this.backoff.maxMs,
        randomize: true,
        signal,
        onFailedAttempt: ({ error }) => {
          if (signal.aborted) return;
          this.lastError = error.message;
          this.emit('failed', error);
        },
      }).catch(() => undefined); // rejects only once close() aborted it
      if (!link) return;
      await link.closed;
    }
  }

  /** Opens a link, authenticates, subscribes, and resolves once it has stayed up for maxMs. */
  private async attempt(): Promise<Link> {
    const link = this.open();
    const { host, port } = this.opts;
    const timeoutMs = this.opts.connectTimeoutMs ?? 5000;
    const timer = setTimeout(() => link.socket.destroy(new Error(`no ESL handshake from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    let stable: NodeJS.Timeout | undefined;
    const lost = link.closed.then((reason) => Promise.reject(reason));
    try {
      await Promise.race([lost, this.handshake(link.conn)]);
      clearTimeout(timer);
      this.setConnected(true);
      await Promise.race([lost, new Promise((resolve) => (stable = setTimeout(resolve, this.backoff.maxMs)))]);
      return link;
    } catch (err) {
      link.socket.destroy();
      // A plain Error: p-retry gives up at once on a TypeError.
      throw new Error(err instanceof Error ? err.message : String(err), { cause: err });
    } finally {
      clearTimeout(timer);
      clearTimeout(stable);
    }
  }

  private async handshake(conn: esl.Connection): Promise<void> {
    await new Promise<void>((resolve) => conn.once('esl::ready', () => resolve()));
    for (const text of this.subscribeCommands) await command(conn, text);
  }

  private open(): Link {
    const { host, port, password } = this.opts;
    const conn = new esl.Connection(host, port, password);
    const socket = conn.socket as Socket;
    // modesl writes a command line by line; with Nagle each command waits for a delayed ACK (~40 ms).
    socket.setNoDelay(true);
    let reason = new Error(`connection to ${host}:${port} closed`);
    socket.on('error', (err) => {
      reason = err;
    });
    // modesl re-emits socket and parser errors here; with no listener EventEmitter2 would throw.
    conn.on('error', (err) => {
      this.lastError = err.message;
    });
    conn.on('esl::event::auth::fail', () => {
      reason = new Error(`authentication to ${host}:${port} failed (-ERR invalid)`);
      socket.destroy();
    });
    conn.on('esl::event::**', (evt, headers) => {
      if (String(headers?.['Content-Type']).startsWith('text/event-')) this.dispatch(toEvent(evt));
    });
    conn.once('esl::connect', () => takeJsonEvents(conn, (event) => this.dispatch(event)));
    const closed = new Promise<Error>((resolve) => socket.once('close', () => resolve(reason)));
    const link: Link = (this.link = { conn, socket, closed });
    void closed.then((why) => {
      if (this.link === link) this.lost(why);
    });
    return link;
  }

  private dispatch(event: EslEvent): void {
    if (typeof event['Event-Name'] !== 'string') {
      this.emit('malformed', event); // modesl also reported the parse failure as an error
      return;
    }
    this.eventsReceived++;
    const jobUuid = event['Job-UUID'];
    if (event['Event-Name'] === 'BACKGROUND_JOB' && typeof jobUuid === 'string') this.jobs.get(jobUuid)?.(typeof event._body === 'string' ? event._body : '');
    try {
      this.emit('event', event);
    } catch (err) {
      this.lastError = `event handler failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  private lost(reason: Error): void {
    for (const fail of [...this.pending]) fail(new Error(`ESL connection to ${this.opts.name} lost: ${reason.message}`));
    if (!this.connected) return;
    if (!this.stopping.signal.aborted) this.lastError = reason.message;
    this.setConnected(false);
    this.emit('disconnected', reason);
  }

  private setConnected(connected: boolean): void {
    this.connected = connected;
    this.since = new Date().toISOString();
    if (connected) this.emit('connected');
  }
}
