/**
 * The customer portal (the React app built from web/ into web/dist/ by `npm run build:web`),
 * served by the service itself:
 * - `GET /assets/<file>`: the build's content-hashed scripts and styles, cached for a year
 *   (`Cache-Control: public, max-age=31536000, immutable`); an unknown asset is 404;
 * - any other GET or HEAD outside the service's own prefixes (/api, /docs, /freeswitch/, /health,
 *   /metrics; `/freeswitch` itself is the portal's configuration page): `index.html` with `Cache-Control: no-cache`, so the page's router shows `/`,
 *   `/trunks`, `/calls/<id>` and the rest (single-page fallback), and a reload always sees the
 *   latest build;
 * - without a build (web/dist/index.html missing): 503, a short HTML page naming the command.
 * Every portal answer carries a Content-Security-Policy (scripts and styles of the service itself,
 * inline style attributes for the component library, connections to the service and to ws:/wss:
 * for the softphone's SIP over WebSocket, microphone for this origin only), `X-Frame-Options: DENY`
 * with `frame-ancestors 'none'`, `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`;
 * the API's and FreeSWITCH's answers do not. Requests that are not the portal's (a path under the
 * service's prefixes, or not GET/HEAD) get the `notFound` answer the caller gives (the API's JSON 404).
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stat } from 'node:fs/promises';
import path from 'node:path';

export interface PortalOptions {
  /** The build output: web/dist of the checkout, or a test's directory. */
  distDir: string;
  /** The answer for a request that is not the portal's. */
  notFound: (req: FastifyRequest, reply: FastifyReply) => FastifyReply | Promise<FastifyReply>;
}

/** Path prefixes the portal never answers for (the service's own routes). */
export const SERVICE_PREFIXES = ['/api', '/docs', '/freeswitch', '/health', '/metrics'] as const;

export const PORTAL_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "media-src 'self' blob: data:",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'permissions-policy': 'microphone=(self), camera=(), geolocation=()',
};

const IMMUTABLE = { maxAge: '365d', immutable: true, cacheControl: true } as const;

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchplane: portal not built</title></head>
<body><h1>The portal has not been built</h1>
<p>Run <code>npm run build:web</code> (or start the service with <code>npm start</code>, which builds it) and reload.</p>
<p>The API is up: <a href="/docs">/docs</a>.</p></body></html>
`;

/** Portal pages whose path is also a service prefix: `/freeswitch` (the configuration preview) while FreeSWITCH's routes are below `/freeswitch/`. */
const PAGES_ON_PREFIXES = new Set(['/freeswitch', '/freeswitch/']);

function isServicePath(url: string): boolean {
  const pathname = url.split('?')[0]!;
  if (PAGES_ON_PREFIXES.has(pathname)) return false;
  return SERVICE_PREFIXES.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

async function built(distDir: string): Promise<boolean> {
  try {
    return (await stat(path.join(distDir, 'index.html'))).isFile();
  } catch {
    return false;
  }
}

/** Registers the portal's routes and the app's not-found handler (the single-page fallback) on the root app. */
export async function registerPortal(app: FastifyInstance, { distDir, notFound }: PortalOptions): Promise<void> {
  await app.register(fastifyStatic, { root: distDir, serve: false });

  const notBuilt = (reply: FastifyReply) => reply.code(503).headers(PORTAL_HEADERS).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT);

  app.get('/assets/*', async (req, reply) => {
    if (!(await built(distDir))) return notBuilt(reply);
    reply.headers(PORTAL_HEADERS);
    const file = (req.params as { '*': string })['*'];
    // send answers 404 itself for a missing file, through the not-found handler below (not the page).
    return reply.sendFile(file, path.join(distDir, 'assets'), IMMUTABLE);
  });

  app.setNotFoundHandler(async (req, reply) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isServicePath(req.url)) return notFound(req, reply);
    if (req.url.startsWith('/assets/')) return reply.code(404).headers(PORTAL_HEADERS).type('text/plain; charset=utf-8').send('no such asset\n');
    if (!(await built(distDir))) return notBuilt(reply);
    return reply.headers(PORTAL_HEADERS).header('cache-control', 'no-cache').sendFile('index.html', distDir, { maxAge: 0, cacheControl: false });
  });
}
