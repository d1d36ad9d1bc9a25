/**
 * Forks the audio of a voicemail message being recorded to Switchplane (src/domain/voicemail-forks.ts),
 * so that it is stored in the database and served by any instance, whatever node recorded it.
 *
 * mod_voicemail records a message with `switch_ivr_record_file` (switch_ivr_play_say.c), which
 * fires RECORD_START when it starts writing the file and RECORD_STOP when it has closed it (after
 * setting `record_ms`), both with the channel's data and variables. On the RECORD_START of a
 * channel the dialplan marked with its mailbox (`variable_switchplane_voicemail_box`), this starts
 * a mono 8 kHz mod_audio_stream fork of the caller's audio; on its RECORD_STOP, while the caller is
 * still on the line (pressed `#`, went silent, reached the longest message), it stops the fork, so
 * that the prompts after the message are not captured. When the caller ended the message by
 * hanging up, nothing is sent: the fork ends with the channel.
 *
 * Both commands are dialplan applications queued on the channel (`sendmsg` `execute eval`) whose
 * argument expands `${uuid_audio_stream(...)}` when the channel runs it: inside the recording loop
 * (it parses queued events every frame). A channel gone meanwhile refuses the message
 * (mod_event_socket.c: `-ERR invalid session id`, nothing logged), and a channel hanging up does
 * not run it (`eval` has no SAF_ZOMBIE_EXEC, switch_core_session.c), so FreeSWITCH never runs
 * `uuid_audio_stream` for a channel it cannot locate (mod_audio_stream.c logs that as an error).
 */
import { audioStream } from '../freeswitch/commands.js';
import { parseVoicemailBox, VOICEMAIL_BOX_VARIABLE, type VoicemailForks } from '../domain/voicemail-forks.js';
import type { EventHandler } from './controller.js';
import { eventKey, field, variable, type EslEvent } from './events.js';

export interface VoicemailRecordingDeps {
  forks: VoicemailForks;
  /** Queues dialplan application `app` with `arg` on channel `uuid` of `node` (EslConnection.execute). */
  execute: (node: string, uuid: string, app: string, arg: string) => Promise<void>;
  onError: (err: unknown, context: { node: string; uuid: string; command: 'start' | 'stop' }) => void;
}

/** The `eval` argument that runs `command` (an API command) when the channel executes it. */
export function expandingApi(command: string): string {
  const space = command.indexOf(' ');
  return `\${${command.slice(0, space)}(${command.slice(space + 1)})}`;
}

/** A refusal meaning the channel is gone: expected when the caller hangs up meanwhile. */
const GONE = /invalid session id/;

export class VoicemailRecording implements EventHandler {
  readonly events = ['RECORD_START', 'RECORD_STOP'] as const;
  /** `<node>/<uuid>` of the channels whose fork this instance started and has not stopped. */
  private readonly forking = new Set<string>();

  constructor(private readonly deps: VoicemailRecordingDeps) {}

  handle(event: EslEvent, node: string): void {
    const box = parseVoicemailBox(variable(event, VOICEMAIL_BOX_VARIABLE));
    const uuid = field(event, 'Unique-ID');
    if (!box || !uuid) return;
    const key = `${node}/${uuid}`;
    // switch_channel.c: `Answer-State` is `hangup` once the channel is down.
    const up = field(event, 'Answer-State') === 'answered';
    if (eventKey(event) === 'RECORD_START') {
      if (!up || this.forking.has(key)) return;
      this.forking.add(key);
      const url = this.deps.forks.url({ ...box, messageId: uuid });
      this.send(node, uuid, 'start', audioStream.start(uuid, url, '').trimEnd());
    } else if (this.forking.delete(key) && up) {
      this.send(node, uuid, 'stop', audioStream.stop(uuid));
    }
  }

  disconnected(node: string): void {
    for (const key of this.forking) if (key.startsWith(`${node}/`)) this.forking.delete(key);
  }

  private send(node: string, uuid: string, command: 'start' | 'stop', api: string): void {
    this.deps.execute(node, uuid, 'eval', expandingApi(api)).catch((err: unknown) => {
      if (command === 'start') this.forking.delete(`${node}/${uuid}`);
      if (!(err instanceof Error && GONE.test(err.message))) this.deps.onError(err, { node, uuid, command });
    });
  }
}
