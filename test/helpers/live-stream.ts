/**
 * A client of GET /api/v1/live (Server-Sent Events, src/api/live.ts) over a real socket: the
 * events as they come (each with its JSON data and when it arrived), what the stream sent raw,
 * its status and its end.
 */
import http from 'node:http';
import { eventually, type EventuallyOptions } from './eventually.js';

export interface LiveEvent { event: string; data: any; at: number } // eslint-disable-line @typescript-eslint/no-explicit-any

/** Opens `base` + `path` with `headers` (a Bearer key or a session cookie). */
export function openStream(base: string, path: string, headers: Record<string, string>) {
  const events: LiveEvent[] = [];
  let raw = '';
  let status = 0;
  let req!: http.ClientRequest;
  const ended = new Promise<void>((resolve, reject) => {
    req = http.get(`${base}${path}`, { headers }, (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data), at: Date.now() });
        }
      });
      res.on('end', resolve);
      res.on('close', resolve);
    });
    req.on('error', reject);
  });
  /** The first `kind` event after index `from` that `test` accepts. */
  const next = (kind: string, from: number, test: (d: any) => boolean = () => true, opts?: EventuallyOptions) => // eslint-disable-line @typescript-eslint/no-explicit-any
    eventually(`a ${kind} event after #${from}`, () => events.slice(from).find((e) => e.event === kind && test(e.data)), opts);
  return { events, next, ended, status: () => status, raw: () => raw, close: () => req.destroy() };
}
