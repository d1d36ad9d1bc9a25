/**
 * A call leg's disposition (the Welcomedly guide's ANSWERED, NO ANSWER, BUSY, FAILED, CANCELLED)
 * from what FreeSWITCH reports at hangup: whether the leg was answered (`answer_uepoch` > 0),
 * its hangup cause (switch_channel.c CAUSE_CHART names) and `sip_hangup_disposition`
 * (mod_sofia: send_bye | recv_bye | send_cancel | recv_cancel | send_refuse | recv_refuse).
 */
export type Disposition = 'ANSWERED' | 'NO ANSWER' | 'BUSY' | 'FAILED' | 'CANCELLED';

export const DISPOSITIONS: readonly Disposition[] = ['ANSWERED', 'NO ANSWER', 'BUSY', 'FAILED', 'CANCELLED'];

/** Causes of a call nobody picked up in time (Q.850 18, 19; mod_sofia's timeout on a silent peer). */
const NO_ANSWER = new Set(['NO_ANSWER', 'NO_USER_RESPONSE', 'ALLOTTED_TIMEOUT', 'SUBSCRIBER_ABSENT']);
/** Causes of a call the caller gave up on before it was answered (Q.850 487 in SIP, FreeSWITCH's own). */
const CANCELLED = new Set(['ORIGINATOR_CANCEL', 'LOSE_RACE', 'PICKED_OFF', 'NORMAL_CLEARING']);

/**
 * @param answered the leg was answered (FreeSWITCH's `answer_uepoch` is not 0)
 * @param hangupCause e.g. `NORMAL_CLEARING`, `USER_BUSY`, `NO_ANSWER`
 * @param sipHangupDisposition `sip_hangup_disposition`, when the leg is a SIP one
 * An unanswered NORMAL_CLEARING is a cancel when the caller's side ended it (recv_bye,
 * recv_cancel, or no SIP disposition) and a no-answer when FreeSWITCH cancelled it (send_cancel,
 * e.g. `call_timeout` expired). Every other unanswered cause (network, congestion, rejection,
 * unknown number, unregistered user) is FAILED.
 */
export function dispositionOf(answered: boolean, hangupCause: string | undefined, sipHangupDisposition?: string): Disposition {
  if (answered) return 'ANSWERED';
  const cause = hangupCause ?? '';
  if (cause === 'USER_BUSY') return 'BUSY';
  if (NO_ANSWER.has(cause)) return 'NO ANSWER';
  if (cause === 'NORMAL_CLEARING' && sipHangupDisposition === 'send_cancel') return 'NO ANSWER';
  if (CANCELLED.has(cause)) return 'CANCELLED';
  return 'FAILED';
}
