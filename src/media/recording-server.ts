/**
 * The WebSocket endpoint FreeSWITCH's recording forks connect to: `GET /recordings/<recording id>?
 * tenant=&extension=&call=&token=` upgraded on the HTTP server's port (src/media/fork-endpoint.ts),
 * next to the AI agent's `/media/` endpoint. The URL is checked by RecordingForks
 * (src/domain/recording-forks.ts): a malformed one or a wrong token answers 401 on upgrade. An
 * accepted socket is captured into a recording (src/media/recording-capture.ts). Any instance
 * sharing the secrets key and the database accepts any fork, so MEDIA_WS_URL may point at a load balancer.
 */
import type { Server } from 'node:http';
import { RECORDING_FORK_PATH, type RecordingForks } from '../domain/recording-forks.js';
import { attachForkEndpoint } from './fork-endpoint.js';
import { captureRecording, type CaptureDeps, type CaptureResult } from './recording-capture.js';

export interface RecordingServerDeps extends Omit<CaptureDeps, 'signal'> {
  forks: RecordingForks;
  /** Called once each recording is stored (or given up). */
  onCaptured?: (result: CaptureResult) => void;
}

/**
 * Attaches the recording endpoint to `server`.
 * @returns a function that cuts every recording socket (their audio is stored as partial),
 *   waits for those recordings to be stored, and stops retrying after `graceMs` milliseconds
 */
export function attachRecordingServer(server: Server, deps: RecordingServerDeps): (graceMs?: number) => Promise<void> {
  return attachForkEndpoint(server, {
    path: RECORDING_FORK_PATH,
    name: 'recording',
    accept: (url) => deps.forks.accept(url),
    capture: (ws, fork, signal) => captureRecording(ws, fork, { ...deps, signal }),
    log: deps.log,
    onCaptured: deps.onCaptured,
  });
}
