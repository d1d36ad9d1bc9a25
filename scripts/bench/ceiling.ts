/**
 * The ceiling for `npm run bench:xmlcurl`: a plain node:http server, in its own process, that
 * answers every request with the fixed XML body it reads from stdin. Prints its port once
 * listening; the bench kills it afterwards.
 */
import { text } from 'node:stream/consumers';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = await text(process.stdin);
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200, { 'content-type': 'text/xml' }).end(body));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
