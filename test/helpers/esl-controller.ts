/**
 * A fake FreeSWITCH event socket (FakeEslServer) and the ESL controller connected to it as node
 * `fs1`, with the handlers a test gives, both closed when the test ends.
 */
import { once } from 'node:events';
import type { Test } from 'tap';
import { loadConfig } from '../../src/config.js';
import { EslController, type EventHandler } from '../../src/esl/controller.js';
import { EslNodes } from '../../src/esl/nodes.js';
import type { Metrics } from '../../src/metrics.js';
import { FakeEslServer, type ApiResponder } from './esl-server.js';

export interface EslRig {
  server: FakeEslServer;
  nodes: EslNodes;
  controller: EslController;
  /** Errors handlers reported through the controller. */
  errors: unknown[];
}

/** Reconnect delays small enough that a test sees several reconnects. */
export const TEST_BACKOFF = { initialMs: 5, maxMs: 40 };

/**
 * Starts the fake server and connects node `fs1` to it; resolves once connected and subscribed
 * (`connected` handlers have been called).
 * @param api answers api/bgapi commands from the first connect on (e.g. a handler's reconcile)
 */
export async function eslRig(t: Test, handlers: EventHandler[], metrics: Metrics, api?: ApiResponder): Promise<EslRig> {
  const server = await FakeEslServer.start();
  if (api) server.api = api;
  const config = loadConfig({ ESL_NODES: `fs1@${server.host}:${server.port}` });
  const errors: unknown[] = [];
  const nodes = new EslNodes(config.esl, (err) => errors.push(err), TEST_BACKOFF);
  const controller = new EslController(nodes, handlers, metrics, (err) => errors.push(err));
  const up = once(nodes.connections[0]!, 'connected');
  nodes.start();
  await up;
  t.teardown(async () => {
    await nodes.close();
    await server.stop();
  });
  return { server, nodes, controller, errors };
}
