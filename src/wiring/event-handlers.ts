/**
 * What FreeSWITCH reports, and who takes it, put together for one process: the CDR writer (also
 * fed by mod_json_cdr, so it exists without ESL_NODES), and, when FreeSWITCH nodes are
 * configured, the registration, gateway-state and channel trackers, call control (and on
 * PostgreSQL its notices to the other instances, src/esl/call-notices.ts), the AI agent's calls,
 * the media forks of voicemail messages being recorded, the HEARTBEAT recorder, and the ESL
 * controller that routes every node's events to them and subscribes each node
 * to what they take. Created before the nodes connect, so the first connect already reconciles;
 * `start()` opens the spool; `close()` stops them in order, keeping what is not written in the
 * spool.
 */
import { CdrSpool } from '../cdr/spool.js';
import { CdrWriter } from '../cdr/writer.js';
import type { Config } from '../config.js';
import type { Store } from '../db/store.js';
import type { SecretBox } from '../domain/secrets.js';
import { VOICEMAIL_FORK_KEY_LABEL, VoicemailForks } from '../domain/voicemail-forks.js';
import { CallControl } from '../esl/call-control.js';
import { CallNotices, notifyCalls } from '../esl/call-notices.js';
import { CallWebhooks } from '../esl/call-webhooks.js';
import { ChannelTracker } from '../esl/channels.js';
import { EslController } from '../esl/controller.js';
import { GatewayTracker } from '../esl/gateways.js';
import { HeartbeatRecorder } from '../esl/heartbeats.js';
import type { EslNodes } from '../esl/nodes.js';
import { RegistrationTracker } from '../esl/registrations.js';
import { VoicemailRecording } from '../esl/voicemail-recording.js';
import { AgentCalls } from '../media/agent-calls.js';
import { analyseCall } from '../media/call-analysis.js';
import { FORK_MODULES } from '../media/fork-modules.js';
import { FrameClock } from '../media/frame-clock.js';
import type { Metrics } from '../metrics.js';

export interface EventHandlers {
  cdrs: CdrWriter;
  calls?: CallControl;
  /** The AI agent's live calls (src/media/), for the media server. */
  agents?: AgentCalls;
  /**
   * Opens the CDR spool and starts writing (first what a previous run left).
   * @throws when the spool directory cannot be used (Switchplane must not run without it)
   */
  start(): void;
  /** Stops the trackers (after writing what they hold) and the CDR writer. Close the ESL nodes first. */
  close(): Promise<void>;
}

export interface EventHandlerDeps {
  config: Readonly<Config>;
  store: Store;
  secrets: SecretBox;
  metrics: Metrics;
  nodes?: EslNodes;
  /** Logs a failure of one part (`part` names it); every failure is also counted in metrics. */
  report: (err: unknown, part: string, context: object) => void;
  /**
   * Logs what FreeSWITCH reported and Switchplane refused (a CDR whose Unique-ID is stored for
   * another tenant or node: uniqueId, source, reason, and the stored and reported tenant and node).
   */
  warn: (context: object, message: string) => void;
}

/** The CDR writer on the spool of `config.cdr.spoolDir`; not started. */
export function createCdrWriter({ config, store, metrics, report, warn }: Omit<EventHandlerDeps, 'secrets' | 'nodes'>): CdrWriter {
  return new CdrWriter({
    store,
    metrics,
    spool: new CdrSpool(config.cdr.spoolDir),
    onError: (err, c) => report(err, 'cdr writer', c),
    onConflict: (conflict) => warn(conflict, `CDR refused: its Unique-ID is stored for another ${conflict.reason === 'tenant' ? 'tenant' : 'FreeSWITCH node'}`),
  });
}

/** The AI agent's calls, commanding the nodes of `nodes`. */
function createAgentCalls({ config, store, secrets, metrics, report }: EventHandlerDeps, nodes: EslNodes): AgentCalls {
  const ai = config.ai;
  return new AgentCalls({
    settings: ai,
    store,
    secrets,
    fork: FORK_MODULES[ai.forkModule],
    clock: new FrameClock(),
    command: (node, cmd) => nodes.node(node)?.api(cmd) ?? Promise.reject(new Error(`no FreeSWITCH node ${node}`)),
    execute: (node, uuid, app, arg) => nodes.node(node)?.execute(uuid, app, arg) ?? Promise.reject(new Error(`no FreeSWITCH node ${node}`)),
    analyse: (transcript) => analyseCall(ai, ai.apiKey ?? '', transcript),
    metrics,
    onError: (err, c) => {
      metrics.errors.inc({ kind: 'ai_agent' });
      report(err, 'AI agent', c);
    },
  });
}

export function createEventHandlers(deps: EventHandlerDeps): EventHandlers {
  const { store, metrics, nodes, report } = deps;
  const cdrs = createCdrWriter(deps);
  const start = () => cdrs.start();
  if (!nodes) return { cdrs, start, close: () => cdrs.stop() };

  const registrations = new RegistrationTracker({ store, metrics, onError: (err, c) => report(err, 'registration tracker', c) });
  const gateways = new GatewayTracker({ store, metrics, onError: (err, c) => report(err, 'gateway tracker', c) });
  const channels = new ChannelTracker({ store, metrics, onError: (err, c) => report(err, 'channel tracker', c) });
  const callWebhooks = new CallWebhooks(channels, store, (err, c) => report(err, 'call webhooks', c));
  const calls = new CallControl({ nodes, channels });
  // The other instances' live views show this instance's calls (one PostgreSQL, several instances).
  const notices = store.kind === 'postgres' ? new CallNotices({ calls, notify: (tenantId) => notifyCalls(store, tenantId), onError: (err, c) => report(err, 'call notice', c) }) : undefined;
  const agents = createAgentCalls(deps, nodes);
  const voicemail = new VoicemailRecording({
    forks: new VoicemailForks(deps.secrets.derive(VOICEMAIL_FORK_KEY_LABEL), deps.config.ai.mediaUrl),
    execute: (node, uuid, app, arg) => nodes.node(node)?.execute(uuid, app, arg) ?? Promise.reject(new Error(`no FreeSWITCH node ${node}`)),
    onError: (err, c) => report(err, 'voicemail recording', c),
  });
  const heartbeats = new HeartbeatRecorder({ store, metrics, nodes, onError: (err, c) => report(err, 'node heartbeat', c) });
  // Handlers in this order get each event, and subscribe to their events in this order.
  new EslController(nodes, [channels, cdrs, registrations, gateways, agents, voicemail, heartbeats], metrics, (err, c) => report(err, 'esl controller', c));
  return {
    cdrs,
    calls,
    agents,
    start,
    close: async () => {
      notices?.close();
      await Promise.all([registrations.close(), gateways.close(), channels.close(), heartbeats.close()]);
      await callWebhooks.flushed();
      await cdrs.stop();
    },
  };
}
