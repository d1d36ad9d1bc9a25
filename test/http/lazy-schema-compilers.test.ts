/**
 * Fastify's compilers made lazy (src/http/lazy-schema-compilers.ts): requests are validated and
 * answers serialized as by Fastify's own compilers, with the shared schemas of `addSchema`, and a
 * route's schema is compiled on its first request, not at `ready()`.
 */
import t from 'tap';
import Fastify, { type FastifyInstance } from 'fastify';
import { lazySchemaCompilers } from '../../src/http/lazy-schema-compilers.js';

const body = { type: 'object', required: ['port'], properties: { port: { type: 'integer', minimum: 1 } }, additionalProperties: false };
const answer = { type: 'object', properties: { port: { type: 'integer' }, note: { type: 'string' } } };

/** A route with a body schema and a 200 schema; `lazy` false: Fastify's compilers as they come. */
async function app(lazy: boolean): Promise<FastifyInstance> {
  const app = Fastify(lazy ? { schemaController: lazySchemaCompilers() } : {});
  app.addSchema({ $id: 'Port', type: 'object', properties: { port: { type: 'integer' } } });
  app.post('/ports', { schema: { body, response: { 200: answer } } }, async (req) => ({ ...(req.body as object), secret: 'not in the schema' }));
  app.post('/shared', { schema: { body: { $ref: 'Port#' } } }, async (req) => req.body);
  return app;
}

for (const lazy of [false, true]) {
  t.test(`${lazy ? 'lazy' : "Fastify's own"} compilers: validation and serialization`, async (t) => {
    const a = await app(lazy);
    t.teardown(() => a.close());
    const ok = await a.inject({ method: 'POST', url: '/ports', payload: { port: '5060' } });
    t.equal(ok.statusCode, 200);
    t.same(ok.json(), { port: 5060 }, 'the body is coerced, the answer keeps only what its schema lists');
    const bad = await a.inject({ method: 'POST', url: '/ports', payload: { port: 0 } });
    t.equal(bad.statusCode, 400);
    t.match(bad.json(), { code: 'FST_ERR_VALIDATION', message: 'body/port must be >= 1' }, "ajv's error, read through the lazy validator");
    const again = await a.inject({ method: 'POST', url: '/ports', payload: {} });
    t.match(again.json(), { message: "body must have required property 'port'" }, 'each call reports its own error');
    const shared = await a.inject({ method: 'POST', url: '/shared', payload: { port: 'x' } });
    t.equal(shared.statusCode, 400, 'a schema added with addSchema is found');
  });
}

t.test('a route schema is compiled on its first request, not at ready()', async (t) => {
  const broken = (lazy: boolean) => {
    const a = Fastify(lazy ? { schemaController: lazySchemaCompilers() } : {});
    a.post('/broken', { schema: { body: { $ref: 'Missing#' } } }, async () => ({}));
    return a;
  };
  const eager = broken(false);
  await t.rejects(async () => eager.ready(), { code: 'FST_ERR_SCH_VALIDATION_BUILD' }, "Fastify's own compilers fail at ready()");
  const lazy = broken(true);
  t.teardown(() => lazy.close());
  await lazy.ready();
  t.pass('ready() with the lazy compilers');
  const res = await lazy.inject({ method: 'POST', url: '/broken', payload: {} });
  t.equal(res.statusCode, 500, 'the schema fails its first request');
});
