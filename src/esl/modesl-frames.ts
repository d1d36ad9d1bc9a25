/**
 * What the event-socket link needs of modesl (1.2.1) beyond its public calls: frames turned into
 * plain event objects, `command/reply` commands, and the JSON-event fast path.
 */
import type esl from 'modesl';
import type { EslEvent } from './events.js';

/** A modesl `Event` as the plain object FreeSWITCH serialised (header → string, body in `_body`). */
export function toEvent(evt: esl.Event): EslEvent {
  const out: Record<string, string | string[]> = {};
  for (const { name, value } of evt.headers) out[name] = typeof value === 'number' ? String(value) : value;
  const body = evt.getBody();
  if (body) out._body = body;
  return out;
}

/** Sends a command and resolves with its `Reply-Text`; rejects when that is not `+OK ...`. */
export function command(conn: esl.Connection, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    conn.sendRecv(text, (reply) => {
      const replyText = reply.getHeader('Reply-Text') ?? '';
      if (replyText.startsWith('+OK')) resolve(replyText);
      else reject(new Error(`${text}: ${replyText || 'no reply text'}`));
    });
  });
}

/**
 * Dispatches `text/event-json` frames as the JSON FreeSWITCH sent. modesl makes an `Event` of
 * every frame, a header list in which each header is found by a linear scan (quadratic in the
 * ~200 headers of a channel event), and toEvent turns it back into an object: a quarter of the
 * read loop under load. `text/event-json` frames are taken from modesl's parser before that and
 * dispatched as the JSON FreeSWITCH sent; every other frame,
 * and JSON that is not an object, still goes through modesl. Left alone if modesl's parser is
 * not the one this was written for (modesl 1.2.1, lib/esl/Parser.js).
 */
export function takeJsonEvents(conn: esl.Connection, dispatch: (event: EslEvent) => void): void {
  type Parser = { _parseEvent(headers: esl.FrameHeaders, body?: string): void };
  const parser = (conn as unknown as { parser?: Parser }).parser;
  const parseEvent = parser?._parseEvent;
  if (!parser || typeof parseEvent !== 'function') return;
  parser._parseEvent = (headers, body) => {
    if (headers['Content-Type'] === 'text/event-json' && body !== undefined) {
      let event: unknown;
      try {
        event = JSON.parse(body);
      } catch {
        // modesl reports the parse error and emits the frame, which is then malformed
      }
      if (typeof event === 'object' && event !== null && !Array.isArray(event)) return dispatch(event as EslEvent);
    }
    parseEvent.call(parser, headers, body);
  };
}

