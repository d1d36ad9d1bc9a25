/**
 * The post-call analysis: what counts as an answer, and when no request is made at all.
 */
import t from 'tap';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { loadConfig } from '../../src/config.js';
import { analyseCall, parseAnalysis } from '../../src/media/call-analysis.js';

t.test('parseAnalysis takes only a valid sentiment with a score from 1 to 5', async (t) => {
  t.same(parseAnalysis('{"sentiment":"negative","satisfactionScore":2}'), { sentiment: 'negative', satisfactionScore: 2 });
  t.same(parseAnalysis('{"sentiment":"positive","satisfactionScore":"4"}'), { sentiment: 'positive', satisfactionScore: 4 });
  for (const bad of ['', 'not json', '{"sentiment":"happy","satisfactionScore":3}', '{"sentiment":"neutral","satisfactionScore":6}', '{"sentiment":"neutral","satisfactionScore":2.5}', '{"sentiment":"neutral"}', null]) {
    t.equal(parseAnalysis(bad), null, `refused: ${bad}`);
  }
});

t.test('no request without a caller turn or with AI_ANALYSIS=false', async (t) => {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(500).end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  const base = { ...loadConfig({}).ai, baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1` };
  const agentOnly = [{ role: 'agent' as const, text: 'Hello', at: new Date().toISOString(), itemId: 'item_1' }];
  t.equal(await analyseCall(base, 'sk-test', agentOnly), null);
  const withCaller = [...agentOnly, { role: 'caller' as const, text: 'Hi', at: new Date().toISOString(), itemId: 'item_2' }];
  t.equal(await analyseCall({ ...loadConfig({ AI_ANALYSIS: 'false' }).ai, baseUrl: base.baseUrl }, 'sk-test', withCaller), null);
  t.equal(requests, 0);
  await t.rejects(analyseCall(base, 'sk-test', withCaller), 'a failing model is an error for the caller to log');
  t.equal(requests, 1, 'one request, no retries');
});
