/**
 * Figures of a running Switchplane process read from its `/metrics` (src/metrics.ts), for tests of
 * several instances: how many CDRs it wrote from the event socket and which FreeSWITCH nodes it holds.
 */
import type { SwitchplaneProcess } from './switchplane-process.js';

const metricsOf = async (sp: SwitchplaneProcess): Promise<string> => (await fetch(`${sp.url}/metrics`)).text();

/**
 * The events named `event` (e.g. CHANNEL_HANGUP_COMPLETE) an instance received on its event
 * sockets, by node (`switchplane_esl_events_total`, every result: handled, ignored, failed).
 */
export async function eslEventsByNode(sp: SwitchplaneProcess, event: string): Promise<Map<string, number>> {
  const byNode = new Map<string, number>();
  for (const [, labels, value] of (await metricsOf(sp)).matchAll(/^switchplane_esl_events_total\{([^}]*)\} (\d+)/gm)) {
    const of = Object.fromEntries([...labels!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (of.event === event && of.node) byNode.set(of.node, (byNode.get(of.node) ?? 0) + Number(value));
  }
  return byNode;
}

/** The sum of `switchplane_cdrs_written_total{source="esl"}` (every result) of one instance. */
export async function eslCdrWrites(sp: SwitchplaneProcess): Promise<number> {
  const text = await metricsOf(sp);
  return [...text.matchAll(/^switchplane_cdrs_written_total\{[^}]*source="esl"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

/** The names of the nodes an instance holds (`switchplane_freeswitch_node_owned{node} 1`), sorted. */
export async function ownedNodes(sp: SwitchplaneProcess): Promise<string[]> {
  const text = await metricsOf(sp);
  return [...text.matchAll(/^switchplane_freeswitch_node_owned\{node="([^"]+)"\} 1/gm)].map((m) => m[1]!).sort();
}
