/**
 * The AI voice agent end to end, with real peers on loopback: the demo app listening with its
 * media endpoint, the ESL controller with the agent's handler connected to a fake FreeSWITCH event
 * socket (which answers every command `+OK`), the mock OpenAI Realtime server (TLS), a text-model
 * endpoint for the post-call analysis, and a CRM webhook receiver. The rig plays FreeSWITCH: it
 * parks calls (CHANNEL_PARK with the dialplan's variables), opens the media fork the controller
 * asks for, fires `mod_audio_stream::play` for each file the agent sends back and PLAYBACK_STOP
 * once its queued playback has had its length, and hangs up; a CDR writer takes the hangups, as
 * in Switchplane.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Test } from 'tap';
import { CdrSpool } from '../../src/cdr/spool.js';
import { CdrWriter } from '../../src/cdr/writer.js';
import { loadConfig } from '../../src/config.js';
import type { AiSessionsTable, CdrsTable } from '../../src/db/schema.js';
import { AgentCalls } from '../../src/media/agent-calls.js';
import { analyseCall } from '../../src/media/call-analysis.js';
import { FORK_MODULES } from '../../src/media/fork-modules.js';
import { attachMediaServer } from '../../src/media/media-server.js';
import { FrameClock } from '../../src/media/frame-clock.js';
import { demoApp, type TestApp } from './app.js';
import type { Backend } from './backends.js';
import { hangupEvent } from './cdr.js';
import { eslRig, type EslRig } from './esl-controller.js';
import { connectMediaClient, type MediaClient } from './media-client.js';
import { startMockRealtime, type MockRealtime, type MockScript, type MockSession } from './mock-realtime.js';
import { eventually } from './eventually.js';
import type { Selectable } from 'kysely';

export const AI_DID = '+390510510510';
export const AI_PROFILE = 'customer-care-voice';
export const FAILOVER_EXTENSION = '1002';

export interface CrmRequest {
  headers: IncomingMessage['headers'];
  body: string;
}

export interface AgentRig {
  ctx: TestApp;
  esl: EslRig;
  mock: MockRealtime;
  agents: AgentCalls;
  acmeId: string;
  /** What the CRM webhook receiver got; it answers `{ "id": "TCK-<n>" }`. */
  crm: { url: string; requests: CrmRequest[] };
  /** Requests the text-model endpoint got (the post-call analysis). */
  analysisRequests: unknown[];
  /** Errors the agent reported. */
  errors: Array<{ err: unknown; context: Record<string, unknown> }>;
  /** Hangs the call up: its CHANNEL_HANGUP_COMPLETE (the recorded 9999 call's, as this call and tenant), which also makes its CDR. */
  hangup(callId: string): void;
  /** Points the AI number's CRM webhook at the rig's receiver, signed with `secret`. */
  useCrm(secret: string): Promise<void>;
  /** Parks a call to the AI number as the dialplan does; returns its Unique-ID. */
  park(opts?: { callId?: string; caller?: string }): string;
  /** Waits for the fork command of `callId` and connects as FreeSWITCH's media fork. */
  fork(callId: string): Promise<MediaClient>;
  /** The stored session of `callId` once it has ended. */
  session(callId: string): Promise<Selectable<AiSessionsTable>>;
  /** The CDR of `callId` once it is written and linked to its session. */
  cdr(callId: string): Promise<Selectable<CdrsTable>>;
}

/** The output Switchplane gave the model for tool call `callId` (its `function_call_output`, parsed). */
export async function toolOutput(session: MockSession, callId: string): Promise<unknown> {
  const created = await session.waitFor('conversation.item.create', (e) => (e.item as { call_id?: string })?.call_id === callId);
  return JSON.parse((created.event.item as { output: string }).output);
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/**
 * @param env more configuration (e.g. `MEDIA_FORK_MODULE: 'audio_fork'`, `AI_RESPONSE_TIMEOUT_MS`)
 * @param opts.instances Switchplane instances on the event socket (default 1); `agents` is the first
 */
export async function agentRig(t: Test, backend: Backend, script: MockScript, env: Record<string, string> = {}, opts: { instances?: number } = {}): Promise<AgentRig> {
  const ctx = await demoApp(backend);
  t.teardown(() => ctx.close());
  const port = await ctx.app.listen({ host: '127.0.0.1', port: 0 }).then((addr) => Number(new URL(addr).port));
  const mock = await startMockRealtime(script);
  t.teardown(() => mock.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'switchplane-agent-'));
  writeFileSync(path.join(dir, 'ca.pem'), mock.ca);

  const crm = { url: '', requests: [] as CrmRequest[] };
  const crmServer = createServer(async (req, res) => {
    crm.requests.push({ headers: req.headers, body: await readBody(req) });
    res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `TCK-${crm.requests.length}` }));
  });
  crm.url = `http://127.0.0.1:${await listen(crmServer)}/tickets`;
  t.teardown(() => new Promise<void>((resolve) => crmServer.close(() => resolve())));

  // The text model: rates a call positive when the caller thanked the agent, else neutral.
  const analysisRequests: unknown[] = [];
  const chat = createServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as { messages: Array<{ content: string }> };
    analysisRequests.push(body);
    const thanked = /thank/i.test(body.messages.at(-1)?.content ?? '');
    const content = JSON.stringify(thanked ? { sentiment: 'positive', satisfactionScore: 5 } : { sentiment: 'neutral', satisfactionScore: 3 });
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion', created: 0, model: 'gpt-4o-mini', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }] }),
    );
  });
  const chatUrl = `http://127.0.0.1:${await listen(chat)}/v1`;
  t.teardown(() => new Promise<void>((resolve) => chat.close(() => resolve())));

  const settings = loadConfig({
    OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: mock.baseURL, OPENAI_CA_FILE: path.join(dir, 'ca.pem'),
    MEDIA_WS_URL: `ws://127.0.0.1:${port}`, AI_CONNECT_TIMEOUT_MS: '3000', AI_RESPONSE_TIMEOUT_MS: '3000', AI_MEDIA_TIMEOUT_MS: '3000',
    DESTINATION_ALLOW: '127.0.0.0/8', // the CRM webhook listens on loopback
    ...env,
  }).ai;
  const errors: AgentRig['errors'] = [];
  let esl: EslRig | undefined;
  const instance = () => new AgentCalls({
    settings,
    store: ctx.store,
    secrets: ctx.secrets,
    fork: FORK_MODULES[settings.forkModule],
    clock: new FrameClock(),
    command: (node, cmd) => esl!.nodes.node(node)!.api(cmd),
    execute: (node, uuid, app, arg) => esl!.nodes.node(node)!.execute(uuid, app, arg),
    // The analysis goes to the local text-model endpoint (plain HTTP), as analyseCall sends it to OpenAI.
    analyse: (transcript) => analyseCall({ ...settings, baseUrl: chatUrl }, 'sk-test', transcript),
    onError: (err, context) => errors.push({ err, context }),
    metrics: ctx.metrics,
  });
  // Several Switchplane instances on one event socket and one database.
  const instances = Array.from({ length: opts.instances ?? 1 }, instance);
  const agents = instances[0]!;
  const cdrs = new CdrWriter({ store: ctx.store, metrics: ctx.metrics, spool: new CdrSpool(path.join(dir, 'spool')), onError: (err, context) => errors.push({ err, context }) });
  cdrs.start();
  t.teardown(() => cdrs.stop());
  esl = await eslRig(t, [...instances, cdrs], ctx.metrics, () => '+OK Success\n');
  const find = (id: string) => instances.map((a) => a.get(id)).find(Boolean);
  const closeMedia = attachMediaServer(ctx.app.server, { find, onError: (err, context) => errors.push({ err, context }) });
  t.teardown(async () => {
    await Promise.all(instances.map((a) => a.close()));
    await closeMedia();
  });
  const acme = await ctx.store.withLookup((db) => db.selectFrom('tenants').select('id').where('slug', '=', 'acme').executeTakeFirstOrThrow());
  let played = 0;

  return {
    ctx, esl, mock, agents, crm, analysisRequests, errors, acmeId: acme.id,
    useCrm: async (secret) => {
      await ctx.store.withTenant(acme.id, (db) =>
        db.updateTable('phone_numbers').set({ crm_webhook_url: crm.url, crm_webhook_secret_sealed: ctx.secrets.seal(secret) }).where('number', '=', AI_DID).execute(),
      );
    },
    park: ({ callId = randomUUID(), caller = '+393331112222' } = {}) => {
      esl!.server.pushEvent(esl!.server.event('CHANNEL_PARK', {
        'Unique-ID': callId, 'Channel-Name': `sofia/external/${caller}@127.0.0.1`, 'Caller-Caller-ID-Number': caller,
        'Caller-Destination-Number': AI_DID, variable_switchplane_ai_profile: AI_PROFILE, variable_switchplane_tenant_id: acme.id,
        variable_switchplane_did: AI_DID, variable_switchplane_caller: caller,
      }));
      return callId;
    },
    fork: async (callId) => {
      const { command } = await esl!.server.waitForCommand(new RegExp(`^api uuid_audio_(stream|fork) ${callId} start `));
      const words = command.split(' '); // api uuid_audio_stream <uuid> start <url> mono 8k <metadata>
      const url = words[4];
      const metadata = words[7];
      const client = await connectMediaClient({ url: url!, ...(settings.forkModule === 'audio_fork' ? { subprotocol: 'audio.drachtio.org' } : { metadata }) });
      if (settings.forkModule === 'audio_stream') {
        // As mod_audio_stream: each streamAudio message becomes a file and a mod_audio_stream::play
        // event; as FreeSWITCH, each playback queued on the channel plays in turn, in real time,
        // and ends with PLAYBACK_STOP.
        const lengthMs = new Map<string, number>();
        let queue = Promise.resolve();
        client.ws.on('message', (data, isBinary) => {
          if (isBinary) return;
          const msg = JSON.parse(data.toString()) as { type?: string; data?: { audioData?: string } };
          if (msg.type !== 'streamAudio') return;
          const file = `/tmp/${callId}_${played++}.tmp.r8`;
          lengthMs.set(file, Buffer.from(msg.data?.audioData ?? '', 'base64').length / 16); // L16 at 8 kHz: 16 bytes a millisecond
          esl!.server.pushEvent(esl!.server.event('CUSTOM', { 'Event-Subclass': 'mod_audio_stream::play', 'Unique-ID': callId }, JSON.stringify({ audioDataType: 'raw', sampleRate: 8000, file })));
        });
        esl!.server.on('command', ({ command, headers }) => {
          const file = headers['execute-app-arg'] ?? '';
          if (command !== `sendmsg ${callId}` || headers['execute-app-name'] !== 'playback' || !lengthMs.has(file)) return;
          queue = queue
            .then(() => new Promise((resolve) => setTimeout(resolve, lengthMs.get(file))))
            .then(() => void esl!.server.pushEvent(esl!.server.event('PLAYBACK_STOP', { 'Unique-ID': callId, 'Playback-File-Path': file })));
        });
      }
      return client;
    },
    hangup: (callId) => {
      esl!.server.pushEvent(hangupEvent({
        'Unique-ID': callId, 'Channel-Call-UUID': callId, 'Caller-Unique-ID': callId, variable_uuid: callId, variable_call_uuid: callId,
        variable_accountcode: acme.id, variable_switchplane_ai_profile: AI_PROFILE, variable_switchplane_direction: 'inbound',
      }));
    },
    session: (callId) =>
      eventually(`the ended AI session of ${callId}, its call gone`, async () => {
        const row = await ctx.store.withTenant(acme.id, (db) => db.selectFrom('ai_sessions').selectAll().where('call_id', '=', callId).where('ended_at', 'is not', null).executeTakeFirst());
        return !find(callId) && row;
      }, { timeoutMs: 60_000, intervalMs: 20 }),
    cdr: (callId) =>
      eventually(`the CDR of ${callId} linked to its AI session`, () =>
        ctx.store.withTenant(acme.id, (db) => db.selectFrom('cdrs').selectAll().where('unique_id', '=', callId).where('ai_session_id', 'is not', null).executeTakeFirst()),
      { timeoutMs: 60_000, intervalMs: 20 }),
  };
}
