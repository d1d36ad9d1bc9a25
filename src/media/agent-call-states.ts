/**
 * The states of an AI agent call (src/media/agent-call.ts) and the moves between them: a state
 * is entered only from the states NEXT lists for it.
 *
 *   loading ─→ connecting ─→ talking ─→ transferring ─→ ended
 *      │            │           └─────→ hanging_up ──→ ended
 *      └────────────┴──────────────────────────────────→ ended (a failure, a hangup: any state)
 *
 * - `loading`: the call's context is read and the session row claimed;
 * - `connecting`: the Realtime session opens and the media fork connects;
 * - `talking`: both are up and the agent has greeted the caller;
 * - `transferring` / `hanging_up`: a tool asked for it; the goodbye (response number `after`) is
 *   awaited (`goodbye: 'due'`), then played out (`'playing'`);
 * - `ended`, with the reason (src/media/agent-call-end.ts).
 */
import type { EndReason } from './agent-call-end.js';

/** Whether the goodbye of a transfer or hangup is awaited (its response not done) or playing out. */
export type Goodbye = 'due' | 'playing';

export type AgentCallState =
  | { name: 'loading' }
  | { name: 'connecting' }
  | { name: 'talking' }
  | { name: 'transferring'; extension: string; reason: string; after: number; goodbye: Goodbye }
  | { name: 'hanging_up'; reason: string; after: number; goodbye: Goodbye }
  | { name: 'ended'; reason: EndReason };
export type AgentCallStateName = AgentCallState['name'];
export type Leaving = Extract<AgentCallState, { name: 'transferring' | 'hanging_up' }>;

/** The states each state may go to (a leaving state to itself: its goodbye moves on). */
export const NEXT: Readonly<Record<AgentCallStateName, readonly AgentCallStateName[]>> = {
  loading: ['connecting', 'ended'],
  connecting: ['talking', 'transferring', 'hanging_up', 'ended'],
  talking: ['transferring', 'hanging_up', 'ended'],
  transferring: ['transferring', 'ended'],
  hanging_up: ['hanging_up', 'ended'],
  ended: [],
};

/** The current state of one call. */
export class CallState {
  private current: AgentCallState = { name: 'loading' };

  get value(): Readonly<AgentCallState> {
    return this.current;
  }

  /** Moves to `next` if the current state allows it (NEXT); false when it does not. */
  to(next: AgentCallState): boolean {
    if (!NEXT[this.current.name].includes(next.name)) return false;
    this.current = next;
    return true;
  }

  get ended(): boolean {
    return this.current.name === 'ended';
  }

  /** The transfer or hangup under way, if any. */
  get leaving(): Leaving | null {
    const s = this.current;
    return s.name === 'transferring' || s.name === 'hanging_up' ? s : null;
  }
}
