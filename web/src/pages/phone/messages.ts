/**
 * The plain sentences the phone shows when something fails: what happened and what to do, never a
 * stack trace. Each takes what SIP.js or the browser reported.
 */

/** A REGISTER answered with a failure (FreeSWITCH: 401/403 for a wrong password, 404 for an unknown user). */
export function registrationRefused(status: number, reason: string): string {
  if (status === 401 || status === 403) return `Registration refused (${status} ${reason}): the phone server did not accept this extension's password.`;
  if (status === 404) return `Registration refused (404 ${reason}): the phone server does not know this extension.`;
  return `Registration refused (${status} ${reason}).`;
}

/** The WebSocket to the phone server closed or could not open. */
export const CONNECTION_LOST = 'Connection to the phone server lost. Reconnecting…';
export const CANNOT_CONNECT = 'Cannot reach the phone server. Retrying…';
export const NO_WEBSOCKET = 'The phone server has no WebSocket for browsers (SOFIA_WSS_PORT and SOFIA_WS_PORT are 0).';

/** A call attempt answered with a failure (busy, not found, declined…). */
export function callFailed(target: string, status: number, reason: string): string {
  if (status === 486 || status === 600) return `${target} is busy.`;
  if (status === 404 || status === 484) return `${target} does not exist.`;
  if (status === 480) return `${target} is not available right now.`;
  if (status === 603) return `${target} declined the call.`;
  return `The call to ${target} failed (${status} ${reason}).`;
}

/**
 * What a getUserMedia or other media failure means for the person: the browser's permission
 * refused, no microphone, or the device in use elsewhere.
 */
export function mediaFailure(error: unknown): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'Microphone access was denied. Allow the microphone for this site in the browser (the icon in the address bar), then call again.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return 'No microphone found. Connect one, or choose another in Audio devices.';
  if (name === 'NotReadableError') return 'The microphone is in use by another program.';
  return `The call could not start: ${error instanceof Error ? error.message : String(error)}`;
}

/** The browser cannot use the microphone at all: not a secure page (https or localhost). */
export const INSECURE_PAGE = 'The browser allows the microphone only on https:// pages or on localhost. Open the portal over HTTPS to use the phone.';
