/**
 * The portal at `/` (src/http/portal.ts) over a stand-in build: the page for every portal route
 * (single-page fallback, not cached), hashed assets cached for a year, the page's security headers
 * on portal answers only, JSON 404s for the API's paths, and a 503 page while nothing is built.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { demoApp } from '../helpers/app.js';
import { backends } from '../helpers/backends.js';

const PAGE = '<!doctype html><title>portal</title><script type="module" src="/assets/index-abc123.js"></script>';
const SCRIPT = 'console.log("portal")';

async function distDir(t: Test, withBuild: boolean): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'portal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  if (withBuild) {
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), PAGE);
    await writeFile(path.join(dir, 'assets', 'index-abc123.js'), SCRIPT);
  }
  return dir;
}

const backend = backends[0]!;

t.test('the built portal: page at every portal route, cached assets, headers on portal answers only', async (t) => {
  const portalDir = await distDir(t, true);
  const ctx = await demoApp(backend, {}, false, () => ({ portalDir }));
  t.teardown(ctx.close);
  const { app } = ctx;

  for (const url of ['/', '/trunks', '/freeswitch', '/calls/7d9f0c1e-0000-4000-8000-000000000000', '/login?next=%2Fnumbers', '/accept?token=abc', '/phone', '/no-such-page']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, `${url} answers the page`);
    t.equal(res.body, PAGE, url);
    t.match(res.headers['content-type'], /text\/html/, url);
    t.equal(res.headers['cache-control'], 'no-cache', `${url} is revalidated`);
    t.match(res.headers['content-security-policy'], /script-src 'self'/, url);
    t.match(res.headers['content-security-policy'], /connect-src 'self' ws: wss:/, url);
    t.match(res.headers['content-security-policy'], /frame-ancestors 'none'/, url);
    t.equal(res.headers['x-frame-options'], 'DENY', url);
    t.equal(res.headers['x-content-type-options'], 'nosniff', url);
  }
  const head = await app.inject({ method: 'HEAD', url: '/extensions' });
  t.equal(head.statusCode, 200, 'HEAD of a portal route');

  const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
  t.equal(asset.statusCode, 200);
  t.equal(asset.body, SCRIPT);
  t.match(asset.headers['content-type'], /javascript/);
  t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
  t.equal(asset.headers['x-frame-options'], 'DENY');

  const missingAsset = await app.inject({ method: 'GET', url: '/assets/index-gone.js' });
  t.equal(missingAsset.statusCode, 404, 'an unknown asset is not answered with the page');
  t.not(missingAsset.body, PAGE);
  const traversal = await app.inject({ method: 'GET', url: '/assets/..%2f..%2fpackage.json' });
  t.not(traversal.statusCode, 200, 'no file outside the build');

  for (const url of ['/api/no-such-route', '/docs/no-such-page', '/health/x', '/metrics/x']) {
    const res = await app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 404, `${url} is not the page`);
    t.match(res.headers['content-type'], /application\/json/, url);
    t.equal(res.json<{ error: { code: string } }>().error.code, 'not_found', url);
    t.equal(res.headers['content-security-policy'], undefined, `${url} has no page headers`);
  }
  // Under /api/v1 and /freeswitch the service's own answers stay: authentication first, FreeSWITCH's XML.
  const apiUnknown = await app.inject({ method: 'GET', url: '/api/v1/no-such-route' });
  t.equal(apiUnknown.statusCode, 401, 'an unknown API route asks for a key first');
  t.match(apiUnknown.headers['content-type'], /application\/json/);
  t.equal(apiUnknown.headers['content-security-policy'], undefined);
  const freeswitch = await app.inject({ method: 'GET', url: '/freeswitch/no-such-route' });
  t.not(freeswitch.body, PAGE, 'FreeSWITCH paths are not the page');
  t.notMatch(freeswitch.headers['content-type'], /text\/html/);
  t.equal(freeswitch.headers['content-security-policy'], undefined);
  const post = await app.inject({ method: 'POST', url: '/trunks', payload: {} });
  t.equal(post.statusCode, 404, 'a POST to a page path is not the page');
  t.equal(post.json<{ error: { code: string } }>().error.code, 'not_found');

  const apiAnswer = await app.inject({ method: 'GET', url: '/api/v1/trunks' });
  t.equal(apiAnswer.statusCode, 401);
  t.equal(apiAnswer.headers['content-security-policy'], undefined, 'API answers carry no page headers');
  t.equal(apiAnswer.headers['x-frame-options'], undefined);
  const health = await app.inject({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200, '/health is still the service');
  t.equal(health.headers['content-security-policy'], undefined);
  const docs = await app.inject({ method: 'GET', url: '/docs/json' });
  t.equal(docs.statusCode, 200, '/docs is still the API document');
});

t.test('no build: 503 page naming the command, the API unaffected', async (t) => {
  const portalDir = await distDir(t, false);
  const ctx = await demoApp(backend, {}, false, () => ({ portalDir }));
  t.teardown(ctx.close);
  for (const url of ['/', '/trunks', '/assets/index-abc123.js']) {
    const res = await ctx.app.inject({ method: 'GET', url });
    t.equal(res.statusCode, 503, url);
    t.match(res.headers['content-type'], /text\/html/, url);
    t.match(res.body, /npm run build:web/, url);
    t.equal(res.headers['cache-control'], 'no-store', url);
  }
  const health = await ctx.app.inject({ method: 'GET', url: '/health' });
  t.equal(health.statusCode, 200);
  const api = await ctx.app.inject({ method: 'GET', url: '/api/no-such-route' });
  t.equal(api.statusCode, 404);
  t.equal(api.json<{ error: { code: string } }>().error.code, 'not_found');
});
