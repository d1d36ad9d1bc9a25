/**
 * How an AI agent call ends: the closed set of reasons, what each one counts as in
 * `switchplane_ai_sessions_total{outcome,reason}`, and what FreeSWITCH is told to do with the
 * channel (mod_commands.c: `uuid_transfer <uuid> <extension> XML <context>`, `uuid_kill <uuid> <cause>`).
 *
 * - `transferred`: the agent handed the caller to an extension (`transfer_to_human`);
 * - `hung_up`: the agent ended the call (`end_call`), `uuid_kill ... NORMAL_CLEARING`;
 * - `caller_hangup`: the channel hung up; nothing to tell FreeSWITCH;
 * - `claimed_elsewhere`: another Switchplane on the same event socket stored the session first
 *   and runs the call: nothing is told, stored or counted;
 * - a failover reason: the call goes to the number's failover extension, or is hung up with
 *   `NORMAL_TEMPORARY_FAILURE` when it has none; the reason is stored as `failure_reason`.
 */
import type { CallChannel } from '../esl/call-channel.js';
import { REALTIME_FAILURES } from './realtime-session.js';

/** Why a call went to its failover extension (`ai_sessions.failure_reason`, the metric's `reason`). */
export const FAILOVER_REASONS = [
  /** The tenant, number or extensions could not be read. */
  'context_unavailable',
  /** OPENAI_API_KEY is not set. */
  'openai_not_configured',
  /** The call lasted AI_SESSION_LIMIT_SECONDS. */
  'session_limit',
  /** The fork's socket did not connect within AI_MEDIA_TIMEOUT_MS. */
  'media_timeout',
  /** FreeSWITCH refused the fork's start command. */
  'media_fork_failed',
  /** `mod_audio_stream::error` or `mod_audio_fork::connect_failed`. */
  'media_fork_error',
  /** The fork's socket closed and no hangup followed within MEDIA_LOSS_GRACE_MS. */
  'media_disconnected',
  ...REALTIME_FAILURES,
  /** Switchplane is stopping. */
  'shutdown',
] as const;
export type FailoverReason = (typeof FAILOVER_REASONS)[number];

/** Every way an agent call ends. */
export const END_REASONS = ['transferred', 'hung_up', 'caller_hangup', 'claimed_elsewhere', ...FAILOVER_REASONS] as const;
export type EndReason = (typeof END_REASONS)[number];

/** The metric's `outcome` label. */
export type EndOutcome = 'transferred' | 'hung_up' | 'caller_hangup' | 'failover';

export function isFailoverReason(reason: unknown): reason is FailoverReason {
  return (FAILOVER_REASONS as readonly unknown[]).includes(reason);
}

/** The labels of `switchplane_ai_sessions_total` for a call ended by `reason`; null: not counted. */
export function endLabels(reason: EndReason): { outcome: EndOutcome; reason: FailoverReason | 'none' } | null {
  if (reason === 'claimed_elsewhere') return null;
  if (isFailoverReason(reason)) return { outcome: 'failover', reason };
  return { outcome: reason, reason: 'none' };
}

/** Where the call goes when it ends: an extension of `context`, or a hangup with a cause. */
export type Disposal = { kind: 'transfer'; extension: string; context: string } | { kind: 'hangup'; cause: 'NORMAL_CLEARING' | 'NORMAL_TEMPORARY_FAILURE' } | null;

/**
 * Where the call goes when it ends for `reason`: the extension the agent transferred to
 * (`transfer`, from the `transferring` state), a hangup, the number's failover extension in the
 * tenant's context (`ctx`, null when it could not be read), or nowhere.
 */
export function disposalOf(reason: EndReason, ctx: { context: string; failoverExtension: string | null } | null, transfer: { extension: string } | null): Disposal {
  if (reason === 'transferred') return transfer && ctx ? { kind: 'transfer', extension: transfer.extension, context: ctx.context } : null;
  if (reason === 'hung_up') return { kind: 'hangup', cause: 'NORMAL_CLEARING' };
  if (!isFailoverReason(reason)) return null;
  return ctx?.failoverExtension ? { kind: 'transfer', extension: ctx.failoverExtension, context: ctx.context } : { kind: 'hangup', cause: 'NORMAL_TEMPORARY_FAILURE' };
}

/** Carries `disposal` out on the call's channel (`uuid_transfer` or `uuid_kill`); rejects like CallChannel. */
export async function carryOut(channel: CallChannel, disposal: NonNullable<Disposal>): Promise<void> {
  if (disposal.kind === 'transfer') await channel.transfer(disposal.extension, disposal.context);
  else await channel.hangup(disposal.cause);
}
