/**
 * The agent's tools (OpenAI Realtime GA function tools, `session.tools`): each is
 * `{ name, description, parameters, run }`, and `parameters`, a JSON schema (TypeBox), is both
 * what the model is given and what its arguments are checked against before `run`.
 *
 * The model's arguments arrive as a JSON string; anything but a JSON object (bad JSON, `null`, a
 * list) counts as `{}`. Before the check, properties the schema does not name are dropped, and a
 * property with a `default` takes it when it is missing or does not fit its schema (an unknown
 * ticket priority becomes `medium`). Arguments that still do not fit get the tool's `refused`
 * answer, and `run` is not called. A `run` that throws answers `{ error: 'the action failed' }`.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { AiSettings } from '../config.js';
import type { AgentCallContext } from '../domain/ai-numbers.js';
import type { ActionEntry } from '../domain/ai-session-writes.js';
import { DestinationPolicy } from '../domain/destination-policy.js';
import { CrmWebhookError, postTicket, TICKET_PRIORITIES } from './crm-webhook.js';
import type { ParkedCall } from './parked-call.js';

/** What a tool answers the model (`function_call_output`, as JSON). */
export type ToolOutput = Record<string, unknown>;

/** A transfer or hangup the agent asked for; it is carried out once the goodbye has played. */
export type Leave = { kind: 'transfer'; extension: string; reason: string } | { kind: 'hangup'; reason: string };

/** What the model is asked to say when a tool asked to leave from a response that had not spoken. */
export const GOODBYE: Readonly<Record<Leave['kind'], string>> = {
  transfer: 'Say one short goodbye line: you are transferring the caller to a colleague now.',
  hangup: 'Say one short, polite goodbye line.',
};

/** What a tool may use and do on its call. */
export interface ToolScope {
  call: ParkedCall;
  ctx: AgentCallContext;
  settings: Readonly<AiSettings>;
  onError(err: unknown, context: Record<string, unknown>): void;
  /** Asks for the call to end after the goodbye; false (and nothing changes) when it is already ending. */
  leave(action: Leave): boolean;
}

/** The tools' names, as the session's `actionsTaken` records them. */
export type ToolName = Exclude<ActionEntry['action'], 'failover'>;

export interface AgentTool<P extends TObject = TObject> {
  name: ToolName;
  description: string;
  parameters: P;
  /** The answer to arguments that do not fit `parameters` (default: `{ error: 'invalid arguments' }`). */
  refused?(scope: ToolScope): ToolOutput;
  run(args: Static<P>, scope: ToolScope): Promise<ToolOutput> | ToolOutput;
}

const tool = <P extends TObject>(t: AgentTool<P>): AgentTool => t as unknown as AgentTool;

/** A string with something other than white space in it. */
const Text = (description: string) => Type.String({ description, pattern: '\\S' });

export const CREATE_TICKET = tool({
  name: 'create_ticket',
  description: 'Open a support ticket in the company CRM for the caller. Returns the ticket id to tell the caller.',
  parameters: Type.Object(
    {
      subject: Text('a short subject, under 100 characters'),
      description: Type.String({ description: 'what the caller reported, with the details they gave', default: '' }),
      priority: Type.Union(TICKET_PRIORITIES.map((p) => Type.Literal(p)), { default: 'medium' }),
    },
    { additionalProperties: false },
  ),
  refused: () => ({ error: 'a ticket needs a subject' }),
  async run(args, { call, ctx, settings, onError }) {
    if (!ctx.crm) return { error: 'no CRM is set up for this number; offer a transfer to a colleague instead' };
    try {
      const { ticketId } = await postTicket({
        url: ctx.crm.url, secret: ctx.crm.secret,
        ticket: { subject: args.subject.trim(), description: args.description.trim(), priority: args.priority, callId: call.callId, tenantId: call.tenantId, callerNumber: call.callerNumber, did: call.did },
        timeoutMs: settings.crm.timeoutMs, retries: settings.crm.retries,
        destinations: new DestinationPolicy(settings.crm.destinationAllow),
      });
      return { ticketId };
    } catch (err) {
      onError(err, { callId: call.callId, part: 'create_ticket' });
      return { error: 'the ticket could not be created', reason: err instanceof CrmWebhookError ? err.reason : 'error' };
    }
  },
});

const TRANSFER_REASON = 'caller asked for a person';
const unavailable = (extension: string, ctx: AgentCallContext): ToolOutput => ({
  error: `extension ${extension || '(none)'} is not available`,
  extensions: ctx.extensions.map((e) => e.extension),
});

export const TRANSFER_TO_HUMAN = tool({
  name: 'transfer_to_human',
  description: 'Transfer the call to a colleague at one of the company extensions. Say one short goodbye line first.',
  parameters: Type.Object(
    {
      extension: Type.String({ description: 'the extension number to transfer to' }),
      reason: Type.String({ description: 'why the caller needs a person', default: TRANSFER_REASON }),
    },
    { additionalProperties: false },
  ),
  refused: ({ ctx }) => unavailable('', ctx),
  run(args, { ctx, leave }) {
    const extension = args.extension.trim();
    if (!ctx.extensions.some((e) => e.extension === extension)) return unavailable(extension, ctx);
    if (!leave({ kind: 'transfer', extension, reason: args.reason.trim() || TRANSFER_REASON })) return { error: 'the call is already ending' };
    return { status: 'transferring', extension };
  },
});

const HANGUP_REASON = 'caller done';

export const END_CALL = tool({
  name: 'end_call',
  description: 'Hang up politely once the caller is done and has been greeted goodbye.',
  parameters: Type.Object({ reason: Type.String({ description: 'why the call ends', default: HANGUP_REASON }) }, { additionalProperties: false }),
  run(args, { leave }) {
    leave({ kind: 'hangup', reason: args.reason.trim() || HANGUP_REASON });
    return { status: 'ending' };
  },
});

/** The tools every agent has. */
export const AGENT_TOOLS: readonly AgentTool[] = [CREATE_TICKET, TRANSFER_TO_HUMAN, END_CALL];

/** The tools as `session.tools` gives them to the model (`{ type: 'function', name, description, parameters }`). */
export function realtimeTools(tools: readonly AgentTool[] = AGENT_TOOLS): unknown[] {
  return tools.map((t) => ({ type: 'function', name: t.name, description: t.description, parameters: t.parameters }));
}

/** The model's argument string as an object: `{}` unless it is a JSON object. */
export function parseArguments(json: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * `params` fitted to `schema`: unnamed properties dropped, defaults put in for missing or unfit
 * properties; undefined when the result still does not fit.
 */
export function fitArguments<P extends TObject>(schema: P, params: Record<string, unknown>): Static<P> | undefined {
  const args = Value.Clean(schema, Value.Clone(params)) as Record<string, unknown>;
  for (const [key, property] of Object.entries(schema.properties) as Array<[string, TSchema]>) {
    if (property.default !== undefined && (args[key] === undefined || !Value.Check(property, args[key]))) args[key] = property.default;
  }
  return Value.Check(schema, args) ? args : undefined;
}

/**
 * Runs tool `name` with the model's argument string `json`; never rejects. Resolves the tool
 * (undefined when unknown), the parsed arguments as given, and the answer for the model: the
 * tool's, its refusal, `{ error: 'the action failed' }` when it threw (reported), or an error
 * naming an unknown tool.
 */
export async function runTool(name: string, json: string, scope: ToolScope): Promise<{ tool: AgentTool | undefined; params: Record<string, unknown>; output: ToolOutput }> {
  const params = parseArguments(json);
  const found = AGENT_TOOLS.find((t) => t.name === name);
  if (!found) return { tool: undefined, params, output: { error: `unknown tool ${name}` } };
  const args = fitArguments(found.parameters, params);
  const output = await Promise.resolve()
    .then(() => (args !== undefined ? found.run(args, scope) : (found.refused?.(scope) ?? { error: 'invalid arguments' })))
    .catch((err: unknown) => {
      scope.onError(err, { callId: scope.call.callId, part: `tool ${name}` });
      return { error: 'the action failed' } as ToolOutput;
    });
  return { tool: found, params, output };
}
