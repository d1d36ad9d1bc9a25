/**
 * What an AI agent profile gives the Realtime session: its instructions, rendered from
 * `templates/agents/<profile>.md` with the tenant's details (its tools: src/media/agent-tools.ts).
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
