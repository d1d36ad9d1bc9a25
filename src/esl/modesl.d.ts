/**
 * The part of modesl 1.2.1 (englercj/node-esl, plain JavaScript, no published types) that
 * src/esl/connection.ts uses: the inbound `Connection` (lib/esl/Connection.js) and the `Event`
 * it hands to callbacks (lib/esl/Event.js). Connection extends EventEmitter2 with wildcards and
 * `::` as delimiter.
 */
declare module 'modesl' {
  import type { Socket } from 'node:net';

  namespace esl {
    /** A parsed frame: for `text/event-json` the JSON object's keys, `_body` as the body. */
    class Event {
      /** In arrival order; modesl turns a JSON `Content-Length` into a number. */
      headers: Array<{ name: string; value: string | string[] | number }>;
      getHeader(name: string): string | null;
      getBody(): string;
    }

    /** Frame headers as read off the wire (`Content-Type`, numeric `Content-Length`, `Reply-Text`). */
    type FrameHeaders = Record<string, string | number | undefined>;

    class Connection {
      /** Inbound mode: `net.connect(port, host)`, answers `auth/request` with `auth <password>`. */
      constructor(host: string, port: number, password: string);
      /** Set by the constructor; modesl sets it to null when the socket ends. */
      socket: Socket | null;
      on(event: 'error', listener: (err: Error) => void): this;
      on(event: string, listener: (event: Event, headers?: FrameHeaders) => void): this;
      once(event: string, listener: (event: Event) => void): this;
      /** Sends `api <command>`; callbacks are matched to `api/response` frames in FIFO order. */
      api(command: string, cb: (response: Event) => void): void;
      /** Sends a command (plus `Name: value` header lines); callbacks match `command/reply` in FIFO order. */
      sendRecv(command: string, cb: (reply: Event) => void): void;
      sendRecv(command: string, headers: Record<string, string>, cb: (reply: Event) => void): void;
    }
  }

  export = esl;
}
