/**
 * Channel events parsed once into a typed record: CHANNEL_CREATE, _PROGRESS, _PROGRESS_MEDIA,
 * _ANSWER, _BRIDGE, _PARK, _HANGUP, _HANGUP_COMPLETE, PLAYBACK_STOP and the fork modules' CUSTOM
 * events, as FreeSWITCH serialises them (switch_channel.c `switch_channel_event_set_basic_data`:
 * `Unique-ID`, `Call-Direction`, `Channel-Name`, `Answer-State`, the `Caller-*` profile headers
 * with times in microseconds, `Other-Leg-*`; `variable_<name>` for each channel variable, from
 * `switch_channel_event_set_extended_data`). A `uuid_dump <uuid> json` answer has the same headers.
 */
import { CHANNEL_VARS } from '../freeswitch/vocabulary.js';
import { eventKey, field, fromMicroseconds, type EslEvent } from './events.js';

/** `Answer-State`: `ringing`, `early`, `answered`, `hangup`. */
export type AnswerState = 'ringing' | 'early' | 'answered' | 'hangup';

/** The `switchplane_*` channel variables (src/freeswitch/vocabulary.ts `CHANNEL_VARS`). */
export interface SwitchplaneVars {
  direction?: string;
  recordingPath?: string;
  aiProfile?: string;
  tenantId?: string;
  did?: string;
  caller?: string;
  clickToCall: boolean;
  trunkId?: string;
  extensionId?: string;
}

const ANSWER_STATES = new Set<string>(['ringing', 'early', 'answered', 'hangup']);
const PREFIX = 'variable_';

export class ChannelEvent {
  /** `Event-Name`, or the subclass of a CUSTOM event (e.g. `mod_audio_stream::play`). */
  readonly name: string;
  /** `Unique-ID` of the channel. */
  readonly uniqueId: string;
  /** `Core-UUID` of the FreeSWITCH that sent it. */
  readonly coreUuid?: string;
  /** `Call-Direction`, from FreeSWITCH's side: `inbound` (it took the call) or `outbound` (it placed it). */
  readonly direction?: 'inbound' | 'outbound';
  /** `Channel-Name`, e.g. `sofia/internal/1001@acme.switchplane.test`. */
  readonly channelName?: string;
  readonly answerState?: AnswerState;
  /** `Caller-Caller-ID-Number` / `-Name`. */
  readonly callerNumber?: string;
  readonly callerName?: string;
  /** `Caller-Callee-ID-Name`. */
  readonly calleeName?: string;
  /** `Caller-Destination-Number`. */
  readonly destination?: string;
  /** `Caller-Context`: the dialplan context the channel runs in. */
  readonly context?: string;
  /** `Other-Leg-Unique-ID`. */
  readonly otherLeg?: string;
  /** `Bridge-B-Unique-ID` (CHANNEL_BRIDGE): the leg bridged to this one. */
  readonly bridgedTo?: string;
  /** `Hangup-Cause`, e.g. `NORMAL_CLEARING`. */
  readonly hangupCause?: string;
  /** `Playback-File-Path` (PLAYBACK_STOP). */
  readonly playbackFile?: string;
  /** The event body (`_body`), e.g. a mod_audio_stream::play JSON. */
  readonly body?: string;
  /** `Caller-Channel-Created-Time`, `-Answered-Time`, `-Hangup-Time` and `Event-Date-Timestamp`. */
  readonly createdAt?: Date;
  readonly answeredAt?: Date;
  readonly hungUpAt?: Date;
  readonly eventAt?: Date;
  /** Channel variables read by name: `accountcode`, `originator`, `sip_gateway_name`. */
  readonly accountcode?: string;
  readonly originator?: string;
  readonly gatewayName?: string;
  readonly switchplane: SwitchplaneVars;
  private vars: Readonly<Record<string, string>> | undefined;

  private constructor(
    private readonly event: EslEvent,
    uniqueId: string,
  ) {
    const direction = field(event, 'Call-Direction');
    const answerState = field(event, 'Answer-State');
    const v = (name: string) => field(event, PREFIX + name);
    this.name = eventKey(event);
    this.uniqueId = uniqueId;
    this.coreUuid = field(event, 'Core-UUID');
    this.direction = direction === 'inbound' || direction === 'outbound' ? direction : undefined;
    this.channelName = field(event, 'Channel-Name');
    this.answerState = answerState && ANSWER_STATES.has(answerState) ? (answerState as AnswerState) : undefined;
    this.callerNumber = field(event, 'Caller-Caller-ID-Number');
    this.callerName = field(event, 'Caller-Caller-ID-Name');
    this.calleeName = field(event, 'Caller-Callee-ID-Name');
    this.destination = field(event, 'Caller-Destination-Number');
    this.context = field(event, 'Caller-Context');
    this.otherLeg = field(event, 'Other-Leg-Unique-ID');
    this.bridgedTo = field(event, 'Bridge-B-Unique-ID');
    this.hangupCause = field(event, 'Hangup-Cause');
    this.playbackFile = field(event, 'Playback-File-Path');
    this.body = field(event, '_body');
    this.createdAt = fromMicroseconds(field(event, 'Caller-Channel-Created-Time'));
    this.answeredAt = fromMicroseconds(field(event, 'Caller-Channel-Answered-Time'));
    this.hungUpAt = fromMicroseconds(field(event, 'Caller-Channel-Hangup-Time'));
    this.eventAt = fromMicroseconds(field(event, 'Event-Date-Timestamp'));
    this.accountcode = v('accountcode');
    this.originator = v('originator');
    this.gatewayName = v('sip_gateway_name');
    this.switchplane = {
      direction: v(CHANNEL_VARS.direction),
      recordingPath: v(CHANNEL_VARS.recordingPath),
      aiProfile: v(CHANNEL_VARS.aiProfile),
      tenantId: v(CHANNEL_VARS.tenantId),
      did: v(CHANNEL_VARS.did),
      caller: v(CHANNEL_VARS.caller),
      clickToCall: v(CHANNEL_VARS.clickToCall) === 'true',
      trunkId: v(CHANNEL_VARS.trunkId),
      extensionId: v(CHANNEL_VARS.extensionId),
    };
  }

  /**
   * The channel event in `event`; undefined when it names no channel (no `Unique-ID`). An event is
   * parsed once: every handler the controller hands it to gets the same record.
   */
  static parse(event: EslEvent): ChannelEvent | undefined {
    if (parsed.has(event)) return parsed.get(event);
    const uniqueId = field(event, 'Unique-ID');
    const record = uniqueId ? new ChannelEvent(event, uniqueId) : undefined;
    parsed.set(event, record);
    return record;
  }

  /** Every channel variable, by name without the `variable_` prefix; empty values left out. Built on first use. */
  get variables(): Readonly<Record<string, string>> {
    if (!this.vars) {
      const vars: Record<string, string> = {};
      for (const key of Object.keys(this.event)) {
        if (!key.startsWith(PREFIX)) continue;
        const value = field(this.event, key);
        if (value !== undefined) vars[key.slice(PREFIX.length)] = value;
      }
      this.vars = vars;
    }
    return this.vars;
  }
}

/** Records already parsed, by the event object they came from (dropped with it). */
const parsed = new WeakMap<EslEvent, ChannelEvent | undefined>();
