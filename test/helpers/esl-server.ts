/**
 * A fake FreeSWITCH event socket (mod_event_socket.c, inbound mode) on 127.0.0.1 and a random
 * port, speaking the wire protocol recorded in ../shared/fixtures/freeswitch/esl/:
 * - on connect it sends `Content-Type: auth/request`;
 * - `auth <password>` → `command/reply` with `Reply-Text: +OK accepted`, or `-ERR invalid`
 *   followed by `text/disconnect-notice` and close; other commands before auth get
 *   `-ERR command not found`;
 * - `event json <names> [CUSTOM <subclasses>]` → `+OK event listener enabled json`, and
 *   `nixevent ...` → `+OK events nixed`; events then reach a client the way FreeSWITCH filters
 *   them (ALL, or the name, and for CUSTOM also the subclass). Only json is spoken;
 * - `api <cmd> <args>` → `api/response` with the responder's text (default FreeSWITCH's
 *   `-ERR <cmd> Command not found!`), one at a time per socket as FreeSWITCH runs them;
 * - `bgapi <cmd> <args>` → `command/reply` with `Reply-Text: +OK Job-UUID: <uuid>` and a
 *   `Job-UUID` header (the client's, if it sent one), then a `BACKGROUND_JOB` event whose body is
 *   the responder's text, to every client subscribed to it (api_exec() fires it as a normal event);
 * - `sendmsg <uuid>` (an `execute-app-name`/`-arg` to queue on the channel) → `command/reply`
 *   with `sendmsg`'s answer (default `+OK`);
 * - `exit` → `+OK bye`, disconnect notice, close.
 * Events go out as `Content-Length: <UTF-8 bytes>` + `Content-Type: text/event-json` and the
 * unformatted JSON with no newline after it, as switch_event_serialize_json() writes it.
 * Every command received is recorded. Also readers of the recorded captures, so tests can
 * replay real calls.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { readFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { SHARED_DIR } from './repo-paths.js';

export const ESL_FIXTURE_DIR = path.join(SHARED_DIR, 'fixtures/freeswitch/esl/');

/** An event as FreeSWITCH serialises it to JSON (multi-valued headers are arrays, body in `_body`). */
export type JsonEvent = Record<string, string | string[]>;

/** Answers `<cmd> <args>` of an `api`/`bgapi` command; undefined = the command does not exist. */
export type ApiResponder = (command: string) => string | undefined | Promise<string | undefined>;

export interface ReceivedCommand {
  /** The first line, e.g. `api xml_flush_cache id 1001 acme.test`. */
  command: string;
  /** `Name: value` lines after it, e.g. `Job-UUID` of a bgapi. */
  headers: Record<string, string>;
}

interface Client {
  socket: net.Socket;
  authed: boolean;
  events: Set<string>;
  /** Names nixed while subscribed to ALL. */
  except: Set<string>;
  subclasses: Set<string>;
  /** Commands run one after another, as on FreeSWITCH's listener thread. */
  queue: Promise<void>;
}

const DISCONNECT_NOTICE = 'Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n';

export class FakeEslServer extends EventEmitter<{ command: [ReceivedCommand]; connection: [] }> {
  readonly host = '127.0.0.1';
  port = 0;
  /** What `auth` must carry; may be changed while running. */
  password: string;
  /** Answers api and bgapi commands; may be replaced while running. */
  api: ApiResponder = () => undefined;
  /** The Reply-Text for `sendmsg <uuid>` (FreeSWITCH: `+OK`, or `-ERR invalid session id [<uuid>]`); may be replaced. */
  sendmsg: (uuid: string) => string = () => '+OK';
  /** Every command received, in order, over all connections. */
  readonly received: ReceivedCommand[] = [];
  /** TCP connections accepted so far. */
  connectionsAccepted = 0;
  readonly coreUuid = randomUUID();
  private sequence = 0;
  private readonly clients = new Set<Client>();
  private readonly server = net.createServer((socket) => this.accept(socket));

  private constructor(password: string) {
    super();
    this.password = password;
  }

  /** Listens on 127.0.0.1 (`port` 0 = a free one, or the port of a stopped server to "restart" it). */
  static async start(opts: { password?: string; port?: number } = {}): Promise<FakeEslServer> {
    const fake = new FakeEslServer(opts.password ?? 'ClueCon');
    fake.server.listen(opts.port ?? 0, fake.host);
    await once(fake.server, 'listening');
    fake.port = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  /** The command lines received, e.g. `['auth ClueCon', 'event json ...']`. */
  get commands(): string[] {
    return this.received.map((r) => r.command);
  }

  /** Authenticated connections currently open. */
  get authedClients(): number {
    return [...this.clients].filter((c) => c.authed).length;
  }

  /**
   * Resolves once no authenticated client's socket holds more than its high-water mark unwritten
   * (at once if none does), for senders that push as fast as the clients read. A socket that
   * closes meanwhile counts as drained.
   */
  async drained(): Promise<void> {
    for (const { authed, socket } of this.clients) {
      if (!authed || !socket.writableNeedDrain) continue;
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done).off('close', done);
          resolve();
        };
        socket.on('drain', done).on('close', done);
      });
    }
  }

  /** Resolves when the `occurrence`-th command matching `match` (exact text or pattern) has arrived. */
  waitForCommand(match: string | RegExp, occurrence = 1): Promise<ReceivedCommand> {
    const hits = (r: ReceivedCommand) => (typeof match === 'string' ? r.command === match : match.test(r.command));
    return new Promise((resolve) => {
      const check = () => {
        const seen = this.received.filter(hits);
        if (seen.length < occurrence) return;
        this.off('command', check);
        resolve(seen[occurrence - 1]!);
      };
      this.on('command', check);
      check();
    });
  }

  /** An event of `name` with the headers FreeSWITCH puts on every event, then `fields`, then the body. */
  event(name: string, fields: Record<string, string> = {}, body?: string): JsonEvent {
    const now = new Date();
    const pad = (n: number) => String(n).padStart(2, '0');
    const local = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
    const event: JsonEvent = {
      'Event-Name': name,
      'Core-UUID': this.coreUuid,
      'FreeSWITCH-Hostname': 'fake',
      'FreeSWITCH-Switchname': 'fake',
      'FreeSWITCH-IPv4': '127.0.0.1',
      'FreeSWITCH-IPv6': '::1',
      'Event-Date-Local': local,
      'Event-Date-GMT': now.toUTCString(),
      'Event-Date-Timestamp': String(now.getTime() * 1000),
      'Event-Calling-File': 'esl-server.ts',
      'Event-Calling-Function': 'event',
      'Event-Calling-Line-Number': '0',
      'Event-Sequence': String(++this.sequence),
      ...fields,
    };
    if (body !== undefined) {
      event['Content-Length'] = String(Buffer.byteLength(body));
      event._body = body;
    }
    return event;
  }

  /** Sends an event to every subscribed client as `text/event-json`; returns how many got it. */
  pushEvent(event: JsonEvent): number {
    const json = JSON.stringify(event);
    const frame = `Content-Length: ${Buffer.byteLength(json)}\nContent-Type: text/event-json\n\n${json}`;
    let sent = 0;
    for (const client of this.clients) {
      if (client.authed && subscribed(client, event)) {
        client.socket.write(frame);
        sent++;
      }
    }
    return sent;
  }

  /** Writes bytes as they are (e.g. a recorded event stream) to every authenticated client. */
  pushRaw(data: string | Buffer): void {
    for (const client of this.clients) if (client.authed) client.socket.write(data);
  }

  /**
   * Drops every connection: abruptly as on a crash, or `graceful` with the disconnect notice
   * FreeSWITCH sends when it shuts down.
   */
  dropAll(opts: { graceful?: boolean } = {}): void {
    for (const client of this.clients) {
      if (opts.graceful) disconnect(client);
      else client.socket.destroy();
    }
  }

  /** Closes every connection and the listening socket. */
  async stop(): Promise<void> {
    const closed = new Promise((resolve) => this.server.close(resolve));
    this.dropAll();
    await closed;
  }

  private accept(socket: net.Socket): void {
    const client: Client = { socket, authed: false, events: new Set(), except: new Set(), subclasses: new Set(), queue: Promise.resolve() };
    this.clients.add(client);
    this.connectionsAccepted++;
    socket.setNoDelay(true); // as listener_run() sets SWITCH_SO_TCP_NODELAY
    socket.setEncoding('utf8');
    socket.on('error', () => undefined); // a client that resets is not a test failure
    socket.on('close', () => this.clients.delete(client));
    let buffer = '';
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const text = buffer.slice(0, end).replace(/\r/g, '').replace(/^\n+/, '');
        buffer = buffer.slice(end + 2);
        if (!text) continue;
        const [command = '', ...lines] = text.split('\n');
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(':');
          if (colon > 0) headers[line.slice(0, colon)] = line.slice(colon + 1).trim();
        }
        const received = { command, headers };
        this.received.push(received);
        this.emit('command', received);
        client.queue = client.queue.then(() => this.execute(client, received));
      }
    });
    socket.write('Content-Type: auth/request\n\n');
    this.emit('connection');
  }

  private async execute(client: Client, { command, headers }: ReceivedCommand): Promise<void> {
    const space = command.indexOf(' ');
    const verb = (space === -1 ? command : command.slice(0, space)).toLowerCase();
    const args = space === -1 ? '' : command.slice(space + 1);
    if (verb === 'exit') {
      reply(client, '+OK bye');
      return disconnect(client);
    }
    if (!client.authed) {
      if (verb !== 'auth') return reply(client, '-ERR command not found');
      if (args !== this.password) {
        reply(client, '-ERR invalid');
        return disconnect(client);
      }
      client.authed = true;
      return reply(client, '+OK accepted');
    }
    switch (verb) {
      case 'event':
      case 'nixevent':
        return reply(client, subscribe(client, verb === 'event', args.split(' ').filter(Boolean)));
      case 'api': {
        const body = (await this.answer(args)) || '-ERR no reply\n';
        client.socket.write(`Content-Type: api/response\nContent-Length: ${Buffer.byteLength(body)}\n\n${body}`);
        return;
      }
      case 'bgapi': {
        const jobUuid = headers['Job-UUID'] || randomUUID();
        client.socket.write(`Content-Type: command/reply\nReply-Text: +OK Job-UUID: ${jobUuid}\nJob-UUID: ${jobUuid}\n\n`);
        const [cmd = '', ...rest] = args.split(' ');
        void this.answer(args).then((body) => {
          const fields: Record<string, string> = { 'Job-UUID': jobUuid, 'Job-Command': cmd };
          if (rest.length) fields['Job-Command-Arg'] = rest.join(' ');
          this.pushEvent(this.event('BACKGROUND_JOB', { ...fields, 'Event-Calling-File': 'mod_event_socket.c', 'Event-Calling-Function': 'api_exec' }, body));
        });
        return;
      }
      case 'sendmsg':
        return reply(client, this.sendmsg(args));
      default:
        return reply(client, '-ERR command not found');
    }
  }

  private async answer(commandLine: string): Promise<string> {
    const text = await this.api(commandLine);
    return text ?? `-ERR ${commandLine.split(' ')[0]} Command not found!\n`;
  }
}

function reply(client: Client, text: string): void {
  client.socket.write(`Content-Type: command/reply\nReply-Text: ${text}\n\n`);
}

function disconnect(client: Client): void {
  client.socket.end(`Content-Type: text/disconnect-notice\nContent-Length: ${Buffer.byteLength(DISCONNECT_NOTICE)}\n\n${DISCONNECT_NOTICE}`);
}

/** `event`/`nixevent` arguments as mod_event_socket.c reads them; returns the reply text. */
function subscribe(client: Client, add: boolean, tokens: string[]): string {
  if (add) {
    const format = tokens.shift()?.toLowerCase();
    if (format !== 'json') return '-ERR FakeEslServer speaks json only';
  }
  let custom = false;
  let keys = 0;
  for (const token of tokens) {
    if (custom) {
      if (add) client.subclasses.add(token);
      else client.subclasses.delete(token);
      continue;
    }
    const name = token.toUpperCase();
    keys++;
    custom = name === 'CUSTOM';
    if (add) {
      client.events.add(name);
      client.except.delete(name);
    } else if (name === 'ALL') {
      client.events.clear();
      client.except.clear();
    } else if (!custom) {
      client.events.delete(name);
      if (client.events.has('ALL')) client.except.add(name);
    }
  }
  if (!keys) return '-ERR no keywords supplied';
  return add ? '+OK event listener enabled json' : '+OK events nixed';
}

/** mod_event_socket.c event_handler(): ALL (less nixed names), or the name and, for CUSTOM, the subclass. */
function subscribed(client: Client, event: JsonEvent): boolean {
  const name = event['Event-Name'];
  if (typeof name !== 'string') return false;
  if (client.events.has('ALL')) return !client.except.has(name);
  if (!client.events.has(name)) return false;
  const subclass = event['Event-Subclass'];
  return name !== 'CUSTOM' || typeof subclass !== 'string' || client.subclasses.has(subclass);
}

export interface CapturedFrame {
  headers: Record<string, string>;
  body: string;
  /** The frame's exact bytes: headers, blank line, body. */
  raw: Buffer;
}

/** Splits a recorded ESL byte stream (a file in ESL_FIXTURE_DIR) into its frames. */
export function readCapture(file: string): CapturedFrame[] {
  const bytes = readFileSync(ESL_FIXTURE_DIR + file);
  const frames: CapturedFrame[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const end = bytes.indexOf('\n\n', pos);
    if (end === -1) throw new Error(`${file}: unterminated frame at byte ${pos}`);
    const headers: Record<string, string> = {};
    for (const line of bytes.toString('utf8', pos, end).split('\n')) {
      const colon = line.indexOf(': ');
      headers[line.slice(0, colon)] = line.slice(colon + 2);
    }
    const bodyEnd = end + 2 + Number(headers['Content-Length'] ?? 0);
    frames.push({ headers, body: bytes.toString('utf8', end + 2, bodyEnd), raw: bytes.subarray(pos, bodyEnd) });
    pos = bodyEnd;
  }
  return frames;
}

const isJsonEvent = (f: CapturedFrame) => f.headers['Content-Type'] === 'text/event-json';

/** The recorded `text/event-json` events of a capture, in order (default: the 9999 call). */
export function recordedEvents(file = 'call-json.txt'): JsonEvent[] {
  return readCapture(file).filter(isJsonEvent).map((f) => JSON.parse(f.body) as JsonEvent);
}

/** The exact bytes of a capture's `text/event-json` frames, back to back, for `pushRaw`. */
export function recordedEventStream(file = 'call-json.txt'): Buffer {
  return Buffer.concat(readCapture(file).filter(isJsonEvent).map((f) => f.raw));
}

const isPlainEvent = (f: CapturedFrame) => f.headers['Content-Type'] === 'text/event-plain';

/**
 * The recorded `text/event-plain` events of a capture as the JSON objects FreeSWITCH would have
 * sent with `event json` (the same headers, URL-decoded; an event body after its inner
 * `Content-Length` becomes `_body`), so plain captures replay through FakeEslServer.
 */
export function recordedPlainEvents(file: string): JsonEvent[] {
  return readCapture(file).filter(isPlainEvent).map((f) => {
    const text = f.body;
    const end = text.indexOf('\n\n');
    const head = end === -1 ? text : text.slice(0, end);
    const event: JsonEvent = {};
    for (const line of head.split('\n')) {
      const colon = line.indexOf(': ');
      if (colon > 0) event[line.slice(0, colon)] = decodeURIComponent(line.slice(colon + 2));
    }
    if (end !== -1 && event['Content-Length'] !== undefined) event._body = text.slice(end + 2, end + 2 + Number(event['Content-Length']));
    return event;
  });
}
