/**
 * `POST /freeswitch/cdr`: the durable second path for CDRs, fed by mod_json_cdr
 * (freeswitch/autoload_configs/json_cdr.conf.xml). mod_json_cdr posts each leg when it is
 * reported, retries (`retries`, `delay`) on anything but a 2xx, and then keeps the document in its
 * `err-log-dir`, so legs that ended while the event socket was down still arrive. The body is,
 * by its `encode` setting (mod_json_cdr.c `process_cdr`): `false` → `application/json`, the
 * document itself; `true` → `application/x-www-form-urlencoded`, `cdr=<URL-encoded document>`;
 * `base64` → `application/x-www-form-base64-encoded`, `cdr=<base64 document>`. The leg's uuid
 * is also in the query (`?uuid=`).
 *
 * Answers: 200 `{ "uniqueId" }` once the CDR is journalled in the spool (it is then never
 * lost); 400 `{ "error" }` for a body that is not a CDR document (mod_json_cdr then keeps it on
 * its disk); 403/401 as for mod_xml_curl (loopback only by default; XMLCURL_ALLOW_FROM,
 * XMLCURL_USERNAME/PASSWORD, which json_cdr.conf's `cred` sends as basic auth); 429 with
 * `Retry-After` for an address over AUTH_FAILURES_PER_MINUTE; 503 when the spool cannot be
 * written, so FreeSWITCH keeps the CDR and retries.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AuthFailures } from '../auth-failures.js';
import type { Config } from '../config.js';
import { guardFreeswitchRoutes } from '../http/freeswitch-access.js';
import { cdrFromJsonCdr, type JsonCdrDocument } from './records.js';
import type { CdrWriter } from './writer.js';

export interface JsonCdrOptions {
  config: Readonly<Config>;
  writer: CdrWriter;
  /** Failed authentications per client address, one counter for the whole HTTP server (src/auth-failures.ts). */
  authFailures: AuthFailures;
}

class BadCdr extends Error {}

/** The JSON document of a post in any of mod_json_cdr's three encodings. */
function documentOf(contentType: string, body: string): JsonCdrDocument {
  let text = body;
  if (!contentType.startsWith('application/json')) {
    const cdr = new URLSearchParams(body).get('cdr');
    if (cdr === null) throw new BadCdr('expected a cdr= form field');
    text = contentType.startsWith('application/x-www-form-base64-encoded') ? Buffer.from(cdr, 'base64').toString('utf8') : cdr;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new BadCdr('the CDR is not JSON');
  }
  if (typeof doc !== 'object' || doc === null || typeof (doc as JsonCdrDocument).variables !== 'object') {
    throw new BadCdr('the CDR has no variables object');
  }
  return doc as JsonCdrDocument;
}

export const jsonCdrPlugin: FastifyPluginAsync<JsonCdrOptions> = async (app, { config, writer, authFailures }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 4 * 1024 * 1024 }, (_req, body, done) => done(null, body));

  await guardFreeswitchRoutes(app, config.xmlcurl, authFailures, 'json_cdr', (req, reply, denial) => {
    if (denial.status === 401) return reply.send(denial.error); // Fastify's error handler answers it: a JSON 401
    req.log.warn({ ip: req.ip, reason: denial.reason }, 'json_cdr post refused');
    return reply.code(denial.status).send({ error: denial.status === 429 ? 'too many failed authentications from this address' : 'address not allowed' });
  });

  app.post('/freeswitch/cdr', async (req, reply) => {
    let record;
    try {
      record = cdrFromJsonCdr(documentOf(String(req.headers['content-type'] ?? ''), String(req.body ?? '')));
    } catch (err) {
      if (!(err instanceof BadCdr)) throw err;
      req.log.warn({ ip: req.ip, reason: err.message }, 'json_cdr post refused');
      return reply.code(400).send({ error: err.message });
    }
    if (!record) return reply.code(400).send({ error: 'the CDR has no uuid variable' });
    try {
      writer.accept(record, 'json_cdr');
    } catch (err) {
      req.log.error({ err, uniqueId: record.uniqueId }, 'json_cdr post could not be journalled; FreeSWITCH will retry');
      return reply.code(503).send({ error: 'the CDR spool cannot be written' });
    }
    return { uniqueId: record.uniqueId };
  });
};
