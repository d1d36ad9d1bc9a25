/**
 * The "instant server" of `npm run bench:register`, in its own process: a plain node:http server
 * answering each directory lookup of mod_xml_curl with that user's pre-rendered XML held in
 * memory (read as JSON `{ "<user>": "<document>" }` from stdin), and `not found` for anything
 * else. The fastest answer mod_xml_curl can get over HTTP: the ceiling for any directory server.
 * Prints its port once listening.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';

const NOT_FOUND = '<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>';
const answers = new Map(Object.entries(JSON.parse(await text(process.stdin)) as Record<string, string>).map(([u, xml]) => [u, Buffer.from(xml)]));

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const form = new URLSearchParams(Buffer.concat(chunks).toString());
    const user = form.get('section') === 'directory' ? form.get('user') : null;
    res.writeHead(200, { 'content-type': 'text/xml' }).end((user && answers.get(user)) || NOT_FOUND);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
