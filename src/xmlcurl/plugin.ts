/**
 * Fastify plugin for FreeSWITCH mod_xml_curl: `POST|GET /freeswitch/xml` dispatching on
 * `section` (directory, dialplan, configuration `sofia.conf` and `acl.conf`), and `/freeswitch/{directory,dialplan,configuration}` answering the same.
 * FreeSWITCH never gets a 5xx or broken XML from here: a lookup that fails, a database slower
 * than the budget, or a body that cannot be parsed all answer 200 `not found` (FreeSWITCH then
 * uses its own files), and are logged and counted. The usual form POST to /freeswitch/xml is
 * answered ahead of Fastify by the node:http lane (src/xmlcurl/lane.ts) through the same `respond`.
 */
import formbody from '@fastify/formbody';
import type { FastifyBaseLogger, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthFailures } from '../auth-failures.js';
import type { Config } from '../config.js';
import type { Store } from '../db/store.js';
import { RECORDING_FORK_KEY_LABEL, RecordingForks } from '../domain/recording-forks.js';
import { listActiveGateways } from '../domain/trunks.js';
import type { TenantCache } from '../domain/tenant-cache.js';
import type { TenantSnapshot } from '../domain/tenant-snapshot.js';
import type { Metrics } from '../metrics.js';
import { guardFreeswitchRoutes } from '../http/freeswitch-access.js';
import { answerAcl, systemResolver, type Resolver } from './acl.js';
import { BudgetExceeded, withinBudget } from './budget.js';
import { answerDirectory, type DirectoryDeps } from './directory.js';
import { DialplanAnswers } from './dialplan-answers.js';
import { NOT_FOUND_XML } from './document.js';
import { Prerenderer } from './prerender.js';
import type { XmlCurlLane } from './lane.js';
import { FormBody, formFields, parseLookup, type Lookup } from './request.js';
import { answerSofia } from './sofia.js';

export interface XmlCurlOptions {
  config: Readonly<Config>;
  store: Store;
  tenants: TenantCache;
  directory: DirectoryDeps;
  metrics: Metrics;
  /** The time business hours are checked against; injected by tests. */
  clock: () => Date;
  /** Resolves trunk host names for `acl.conf` (default: the system resolver, node:dns `lookup`). */
  resolve?: Resolver;
  /** Failed authentications per client address, one counter for the whole HTTP server (src/auth-failures.ts). */
  authFailures: AuthFailures;
  /** The node:http lane ahead of Fastify (src/xmlcurl/lane.ts); it answers through this plugin's lookups once registered. */
  lane?: XmlCurlLane;
  /** Handed, once, how many cached tenants' DID answers are still being rendered ahead of their first call (for /health). */
  dialplanPrerenderPending?: (pending: () => number) => void;
}

const SECTIONS = new Set(['directory', 'dialplan', 'configuration']);

export const xmlcurlPlugin: FastifyPluginAsync<XmlCurlOptions> = async (app, opts) => {
  const { config, store, tenants, directory, metrics, clock } = opts;
  const resolve = opts.resolve ?? systemResolver;
  const forks = new RecordingForks(directory.secrets.derive(RECORDING_FORK_KEY_LABEL), config.ai.mediaUrl);
  // Kept dialplan answers: four per cached tenant (its DIDs and its extensions' calls), and 32 MiB, per kind.
  const dialplan = new DialplanAnswers(tenants, forks, { maxAnswers: config.lookupCache.maxTenants * 4, maxBytes: 32 * 1024 * 1024 });
  // The DID answers of the tenants loaded at start are rendered in idle time, as the directory's
  // are (src/wiring/http.ts); a tenant loaded later after a change gets its answers at its next calls.
  const prerenderer = new Prerenderer(
    (s) => dialplan.prerender(s, clock()),
    (err, s) => app.log.error({ err, tenant: s.tenant.id }, 'dialplan prerender failed; numbers render at their first call'),
  );
  opts.dialplanPrerenderPending?.(() => prerenderer.pending);
  const onLoaded = (snapshots: TenantSnapshot[]) => {
    if (tenants.state === 'warming') prerenderer.enqueue(snapshots);
  };
  tenants.on('loaded', onLoaded);
  app.addHook('onClose', async () => {
    tenants.off('loaded', onLoaded);
    dialplan.close();
  });
  const unresolved = (u: { host: string; trunkId: string; error: string }) =>
    app.log.warn(u, 'acl.conf: trunk host does not resolve; calls from it are refused until it does');

  // formbody's `parser` is typed as returning a record; a FormBody is read through formFields().
  await app.register(formbody, { parser: (body) => new FormBody(body) as unknown as Record<string, unknown> });
  // Whatever else arrives is read as a form too, so garbage still gets an answer.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, new FormBody(String(body))));

  const sendXml = (reply: FastifyReply, status: number, xml: string | Buffer) =>
    reply.code(status).header('content-type', 'text/xml; charset=utf-8').send(xml);

  app.setErrorHandler((err, req, reply) => {
    metrics.xmlcurlLookups.inc({ section: 'unknown', result: 'failed' });
    req.log.warn({ err }, 'xml_curl request could not be read; answering not found');
    return sendXml(reply, 200, NOT_FOUND_XML);
  });

  await guardFreeswitchRoutes(app, config.xmlcurl, opts.authFailures, 'xml_curl', (req, reply, denial) => {
    metrics.xmlcurlLookups.inc({ section: 'unknown', result: 'denied' });
    if (denial.status === 403) req.log.warn({ ip: req.ip, reason: denial.reason }, 'xml_curl request refused');
    else req.log.warn({ ip: req.ip }, 'xml_curl request without valid credentials');
    return sendXml(reply, denial.status, NOT_FOUND_XML);
  });

  type Answer = string | Buffer | null;
  /** Synchronous when the answer needs no database read (a cached directory user, a kept dialplan answer). */
  function answer(lookup: Lookup): Answer | Promise<Answer> {
    switch (lookup.section) {
      case 'directory':
        return answerDirectory(lookup, directory);
      case 'dialplan':
        return dialplan.answer(lookup, clock());
      case 'configuration':
        if (lookup.file === 'sofia.conf') return store.withLookup((db) => answerSofia(db, lookup, config.sofia, directory.secrets));
        if (lookup.file === 'acl.conf') return store.withLookup((db) => listActiveGateways(db)).then((g) => answerAcl(g, resolve, unresolved));
        return null;
      case 'other':
        return null;
    }
  }

  // prom-client children per label set, so a lookup does not hash its labels twice; a lookup's
  // duration is taken with performance.now() and observed once (no timer closure per lookup).
  const timers = new Map<string, ReturnType<typeof metrics.xmlcurlDuration.labels>>();
  const counters = new Map<string, ReturnType<typeof metrics.xmlcurlLookups.labels>>();
  const timerFor = (section: string) => {
    let child = timers.get(section);
    if (!child) timers.set(section, (child = metrics.xmlcurlDuration.labels({ section })));
    return child;
  };
  const countFor = (section: string, result: string) => {
    const key = `${section}/${result}`;
    let child = counters.get(key);
    if (!child) counters.set(key, (child = metrics.xmlcurlLookups.labels({ section, result })));
    return child;
  };

  /** Counts the lookup and its duration (since `started`, performance.now() ms); returns what to send. */
  function finish(section: string, started: number, xml: Answer, result: string): string | Buffer {
    timerFor(section).observe((performance.now() - started) / 1000);
    countFor(section, result).inc();
    return xml ?? NOT_FOUND_XML;
  }
  function fail(log: FastifyBaseLogger, lookup: Lookup, started: number, err: unknown): string | Buffer {
    const result = err instanceof BudgetExceeded ? 'timeout' : 'failed';
    log.error({ err, lookup }, `xml_curl ${lookup.section} lookup ${result}; answering not found`);
    return finish(lookup.section, started, null, result);
  }

  /**
   * The XML a lookup is answered with (HTTP 200), counted and timed: synchronously when it needs
   * no database read, else a promise that never rejects (a failed or late lookup is logged and
   * answered `not found`). Per-request closures are avoided: this runs thousands of times a second.
   */
  function respond(lookup: Lookup, log: FastifyBaseLogger): string | Buffer | Promise<string | Buffer> {
    const started = performance.now();
    let pending: Answer | Promise<Answer>;
    try {
      pending = answer(lookup);
    } catch (err) {
      return fail(log, lookup, started, err);
    }
    if (!(pending instanceof Promise)) return finish(lookup.section, started, pending, pending === null ? 'not_found' : 'found');
    return withinBudget(pending, config.xmlcurl.budgetMs).then(
      (xml) => finish(lookup.section, started, xml, xml === null ? 'not_found' : 'found'),
      (err: unknown) => fail(log, lookup, started, err),
    );
  }
  if (opts.lane) opts.lane.respond = (form) => respond(parseLookup(formFields(new FormBody(form))), app.log);

  /**
   * Sends the answer. A synchronous answer is sent at once and nothing is returned (Fastify
   * would send a returned non-promise value a second time); else the returned promise settles
   * once it is sent.
   */
  function handle(req: FastifyRequest, reply: FastifyReply, sectionFromPath?: string): Promise<FastifyReply> | undefined {
    const xml = respond(parseLookup(formFields(req.method === 'GET' ? req.query : req.body), sectionFromPath), req.log);
    if (!(xml instanceof Promise)) {
      sendXml(reply, 200, xml);
      return;
    }
    return xml.then((x) => sendXml(reply, 200, x));
  }

  for (const method of ['GET', 'POST'] as const) {
    app.route({ method, url: '/freeswitch/xml', handler: (req, reply) => handle(req, reply) });
    app.route<{ Params: { section: string } }>({
      method,
      url: '/freeswitch/:section',
      handler: (req, reply) => {
        if (SECTIONS.has(req.params.section)) return handle(req, reply, req.params.section);
        sendXml(reply, 200, NOT_FOUND_XML);
      },
    });
  }
};
