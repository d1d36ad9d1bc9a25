/**
 * What an AI agent profile gives the Realtime session: its instructions, rendered from
 * `templates/agents/<profile>.md` with the tenant's details, and its tools (OpenAI Realtime GA
 * function tools, `session.tools`).
 *
 * Placeholders: `{{tenantName}}`, `{{did}}` (E.164), `{{localTime}}` (now in the tenant's IANA
 * zone, e.g. `Tuesday 1 December 2026, 10:30 (Europe/Rome)`), `{{businessHours}}` (one line per
 * open day, `monday 09:00–18:00`) and `{{extensions}}` (the extensions a call may be transferred
 * to, `1001 (Mario Rossi)`). An unknown placeholder is left as it is.
 */
import { readFile } from 'node:fs/promises';
import { DateTime } from 'luxon';
import type { BusinessHours } from '../db/schema.js';
import { AI_AGENT_PROFILE } from '../domain/number-records.js';

const TEMPLATES = new URL('../../templates/agents/', import.meta.url);

export interface ProfileContext {
  tenantName: string;
  timezone: string;
  did: string;
  businessHours: BusinessHours | null;
  /** Active extensions of the tenant: `{ extension, name }`. */
  extensions: Array<{ extension: string; name: string | null }>;
  now: Date;
}

/**
 * The profile's instructions with the placeholders filled in.
 * @throws Error when `profile` is not `^[a-z0-9-]{1,64}$` or has no template file
 */
export async function renderInstructions(profile: string, ctx: ProfileContext): Promise<string> {
  if (!AI_AGENT_PROFILE.test(profile)) throw new Error(`bad agent profile ${profile}`);
  const template = await readFile(new URL(`${profile}.md`, TEMPLATES), 'utf8');
  const hours = ctx.businessHours
    ? Object.entries(ctx.businessHours).filter(([, d]) => d).map(([day, d]) => `${day} ${d!.start}–${d!.end}`).join('\n') || 'closed every day'
    : 'always open';
  const values: Record<string, string> = {
    tenantName: ctx.tenantName,
    did: ctx.did,
    localTime: `${DateTime.fromJSDate(ctx.now, { zone: ctx.timezone }).toFormat('cccc d LLLL yyyy, HH:mm')} (${ctx.timezone})`,
    businessHours: hours,
    extensions: ctx.extensions.map((e) => (e.name ? `${e.extension} (${e.name})` : e.extension)).join(', ') || 'none',
  };
  return template.replace(/\{\{(\w+)\}\}/g, (all, key: string) => values[key] ?? all);
}

export const TICKET_PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;

/** The three tools every agent has (Realtime GA `{ type: 'function', name, description, parameters }`). */
export const AGENT_TOOLS = [
  {
    type: 'function',
    name: 'create_ticket',
    description: 'Open a support ticket in the company CRM for the caller. Returns the ticket id to tell the caller.',
    parameters: {
      type: 'object',
      properties: {
        subject: { type: 'string', description: 'a short subject, under 100 characters' },
        description: { type: 'string', description: 'what the caller reported, with the details they gave' },
        priority: { type: 'string', enum: [...TICKET_PRIORITIES] },
      },
      required: ['subject', 'description', 'priority'],
      additionalProperties: false,
    },
  },
  {
    type: 'function',
    name: 'transfer_to_human',
    description: 'Transfer the call to a colleague at one of the company extensions. Say one short goodbye line first.',
    parameters: {
      type: 'object',
      properties: {
        extension: { type: 'string', description: 'the extension number to transfer to' },
        reason: { type: 'string', description: 'why the caller needs a person' },
      },
      required: ['extension', 'reason'],
      additionalProperties: false,
    },
  },
  {
    type: 'function',
    name: 'end_call',
    description: 'Hang up politely once the caller is done and has been greeted goodbye.',
    parameters: {
      type: 'object',
      properties: { reason: { type: 'string', description: 'why the call ends' } },
      required: ['reason'],
      additionalProperties: false,
    },
  },
] as const;
