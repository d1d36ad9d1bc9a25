/**
 * The browser phone of one extension, without React: SIP.js's SessionManager (a UserAgent with a
 * Registerer and at most one call) over the WebSocket the credentials name (`wsUrl`), media by
 * WebRTC (DTLS-SRTP, ICE) with FreeSWITCH. It keeps a `PhoneState` snapshot and tells subscribers
 * when it changes (`subscribe`/`snapshot` fit React's useSyncExternalStore).
 *
 * Behaviour: registers at `start()`; a refused REGISTER stops and says why (no retry loop
 * against a wrong password); a lost connection reconnects every 4 s and registers again (also
 * when the browser comes back online); a second incoming call while one is up gets 486 Busy Here.
 * Credentials stay in this object (memory only).
 */
import { Invitation, SessionState, Web, type Session } from 'sip.js';
import { countPackets, replaceMicrophone, type MediaCounts } from './media';
import * as say from './messages';
import { RingTone } from './ringtone';

export type { MediaCounts } from './media';

export interface PhoneCredentials {
  username: string;
  password: string;
  /** SIP domain of the customer: the AOR and the digest realm. */
  domain: string;
  /** ws:// or wss:// URL of the internal profile's WebSocket binding. */
  wsUrl: string;
  displayName?: string;
}

export type Registration = 'connecting' | 'registered' | 'unregistered' | 'refused' | 'reconnecting';

export interface CallView {
  direction: 'outgoing' | 'incoming';
  /** The other party: its number (SIP user part) and display name when it sent one. */
  remote: string;
  remoteName: string | null;
  /** `calling`: our INVITE is out; `ringing`: an incoming call waits for answer/decline. */
  state: 'calling' | 'ringing' | 'active';
  muted: boolean;
  held: boolean;
  /** Date.now() when answered, for the call timer. */
  answeredAt: number | null;
}

export interface PhoneState {
  registration: Registration;
  /** A plain sentence about the last failure, or null. */
  problem: string | null;
  call: CallView | null;
}

const RECONNECT_SECONDS = 4;
/** A tone lasts 100 ms with a 70 ms gap (RTCDTMFSender defaults); the next one waits this long. */
const DTMF_SPACING_MS = 200;

export class Softphone {
  private readonly manager: Web.SessionManager;
  private readonly ring = new RingTone();
  private readonly listeners = new Set<() => void>();
  private session: Session | undefined;
  private microphoneId: string | undefined;
  private retry: number | undefined;
  private stopped = false;
  private dtmf: Promise<void> = Promise.resolve();
  private state: PhoneState = { registration: 'connecting', problem: null, call: null };
  /** Plays the other party (not in the document; SessionManager attaches the remote stream). */
  readonly remoteAudio: HTMLAudioElement;

  constructor(private readonly creds: PhoneCredentials) {
    this.remoteAudio = document.createElement('audio');
    this.remoteAudio.autoplay = true;
    this.manager = new Web.SessionManager(creds.wsUrl, {
      aor: `sip:${creds.username}@${creds.domain}`,
      maxSimultaneousSessions: 1,
      // DTMF as RFC 4733 telephone-events in the media (RTCDTMFSender), which FreeSWITCH takes on
      // any channel; SIP INFO it ignores unless the channel is configured for it.
      sendDTMFUsingSessionDescriptionHandler: true,
      media: { constraints: { audio: true, video: false }, remote: { audio: this.remoteAudio } },
      reconnectionAttempts: Number.MAX_SAFE_INTEGER,
      reconnectionDelay: RECONNECT_SECONDS,
      registererRegisterOptions: {
        requestDelegate: { onReject: (r) => this.refused(r.message.statusCode ?? 0, r.message.reasonPhrase ?? '') },
      },
      userAgentOptions: {
        authorizationUsername: creds.username,
        authorizationPassword: creds.password,
        ...(creds.displayName ? { displayName: creds.displayName } : {}),
        logLevel: 'error',
      },
      delegate: {
        onServerConnect: () => this.set({ registration: 'connecting' }),
        onServerDisconnect: (error) => {
          if (!error || this.stopped) return;
          this.endCall();
          this.set({ registration: 'reconnecting', problem: say.CONNECTION_LOST });
        },
        onRegistered: () => this.set({ registration: 'registered', problem: this.state.registration === 'registered' ? this.state.problem : null }),
        onUnregistered: () => this.state.registration !== 'refused' && this.set({ registration: 'unregistered' }),
        onCallCreated: (s) => this.adopt(s, 'outgoing'),
        onCallReceived: (s) => this.incoming(s),
        onCallAnswered: (s) => s === this.session && this.patchCall({ state: 'active', answeredAt: Date.now() }),
        onCallHangup: (s) => s === this.session && this.endCall(),
        onCallHold: (s, held) => s === this.session && this.patchCall({ held }),
      },
    });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  snapshot = (): PhoneState => this.state;

  /** Connects and registers; an unreachable server is tried again every RECONNECT_SECONDS. */
  async start(): Promise<void> {
    this.stopped = false;
    if (!this.creds.wsUrl) return this.set({ registration: 'unregistered', problem: say.NO_WEBSOCKET });
    this.set({ registration: 'connecting', problem: null });
    try {
      await this.manager.connect();
      await this.manager.register();
    } catch {
      if (this.stopped) return;
      this.set({ registration: 'reconnecting', problem: say.CANNOT_CONNECT });
      this.retry = window.setTimeout(() => void this.start(), RECONNECT_SECONDS * 1000);
    }
  }

  /** Unregisters and closes the WebSocket (leaving the page). */
  async stop(): Promise<void> {
    this.stopped = true;
    window.clearTimeout(this.retry);
    this.ring.close();
    if (this.session) await this.manager.hangup(this.session).catch(() => undefined);
    await this.manager.unregister().catch(() => undefined);
    await this.manager.disconnect().catch(() => undefined);
  }

  /** Calls an extension or number (digits, `*`, `#`, `+`) of the customer's domain. */
  async call(target: string): Promise<void> {
    if (this.session) return;
    this.set({ problem: null });
    try {
      await this.manager.call(`sip:${target}@${this.creds.domain}`, { sessionDescriptionHandlerOptions: { constraints: this.constraints() } }, {
        requestDelegate: { onReject: (r) => this.set({ problem: say.callFailed(target, r.message.statusCode ?? 0, r.message.reasonPhrase ?? '') }) },
      });
    } catch (error) {
      this.endCall();
      this.set({ problem: say.mediaFailure(error) });
    }
  }

  /** Answers the ringing call. */
  async answer(): Promise<void> {
    const s = this.session;
    if (!(s instanceof Invitation) || s.state !== SessionState.Initial) return;
    this.ring.stop();
    try {
      await this.manager.answer(s, { sessionDescriptionHandlerOptions: { constraints: this.constraints() } });
    } catch (error) {
      await s.reject({ statusCode: 480 }).catch(() => undefined);
      this.endCall();
      this.set({ problem: say.mediaFailure(error) });
    }
  }

  /** Declines the ringing call (603 Decline). */
  async decline(): Promise<void> {
    const s = this.session;
    if (s instanceof Invitation && s.state === SessionState.Initial) await s.reject({ statusCode: 603 });
    this.endCall();
  }

  /** Ends the call whatever its state (CANCEL, BYE, or a reject). */
  async hangup(): Promise<void> {
    if (this.session) await this.manager.hangup(this.session).catch(() => undefined);
    this.endCall();
  }

  toggleMute(): void {
    const s = this.session;
    if (!s || !this.state.call) return;
    if (this.state.call.muted) this.manager.unmute(s);
    else this.manager.mute(s);
    this.patchCall({ muted: this.manager.isMuted(s) });
  }

  /** Holds or resumes the call with a re-INVITE (a=sendonly / a=sendrecv). */
  async toggleHold(): Promise<void> {
    const s = this.session;
    if (!s || this.state.call?.state !== 'active') return;
    await (this.state.call.held ? this.manager.unhold(s) : this.manager.hold(s));
  }

  /**
   * Sends one DTMF tone (an RFC 4733 telephone-event in the call's RTP). Tones are queued
   * DTMF_SPACING_MS apart: RTCDTMFSender.insertDTMF replaces a tone still playing.
   */
  sendDtmf(tone: string): Promise<void> {
    const s = this.session;
    if (!s || this.state.call?.state !== 'active') return Promise.resolve();
    this.dtmf = this.dtmf
      .then(() => this.manager.sendDTMF(s, tone))
      .then(() => new Promise<void>((resolve) => window.setTimeout(resolve, DTMF_SPACING_MS)))
      .catch(() => undefined);
    return this.dtmf;
  }

  /** Blind transfer (REFER) of the other party to `target`; FreeSWITCH then ends our leg. */
  async transfer(target: string): Promise<void> {
    if (!this.session || this.state.call?.state !== 'active') return;
    try {
      await this.manager.transfer(this.session, `sip:${target}@${this.creds.domain}`);
    } catch (error) {
      this.set({ problem: `The transfer to ${target} failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  /** Uses this microphone from now on, and at once in a call in progress. */
  async setMicrophone(deviceId: string): Promise<void> {
    this.microphoneId = deviceId || undefined;
    const pc = this.peerConnection();
    if (pc) await replaceMicrophone(pc, this.constraints(), this.state.call?.muted ?? false).catch((error: unknown) => this.set({ problem: say.mediaFailure(error) }));
  }

  /** Plays the call and the ring on this output device (HTMLMediaElement.setSinkId). */
  async setSpeaker(deviceId: string): Promise<void> {
    const audio = this.remoteAudio as HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> };
    await audio.setSinkId?.(deviceId);
    await this.ring.setSink(deviceId).catch(() => undefined);
  }

  /** RTP packets counted by the browser for the call in progress, or null without media. */
  mediaCounts(): Promise<MediaCounts | null> {
    const pc = this.peerConnection();
    return pc ? countPackets(pc) : Promise.resolve(null);
  }

  private constraints(): MediaStreamConstraints {
    return { audio: this.microphoneId ? { deviceId: { exact: this.microphoneId } } : true, video: false };
  }

  private peerConnection(): RTCPeerConnection | undefined {
    const sdh = this.session?.sessionDescriptionHandler;
    return sdh instanceof Web.SessionDescriptionHandler ? sdh.peerConnection : undefined;
  }

  private adopt(s: Session, direction: CallView['direction']): void {
    this.session = s;
    const uri = s.remoteIdentity.uri;
    this.set({
      call: {
        direction, remote: uri.user ?? uri.toString(), remoteName: s.remoteIdentity.displayName || null,
        state: direction === 'outgoing' ? 'calling' : 'ringing', muted: false, held: false, answeredAt: null,
      },
    });
  }

  private incoming(s: Session): void {
    if (this.session && s !== this.session) {
      if (s instanceof Invitation) void s.reject({ statusCode: 486 }).catch(() => undefined);
      return;
    }
    this.adopt(s, 'incoming');
    this.ring.start();
  }

  private refused(status: number, reason: string): void {
    this.set({ registration: 'refused', problem: say.registrationRefused(status, reason) });
    this.stopped = true;
    void this.manager.disconnect().catch(() => undefined);
  }

  private endCall(): void {
    this.ring.stop();
    this.session = undefined;
    if (this.state.call) this.set({ call: null });
  }

  private patchCall(patch: Partial<CallView>): void {
    if (this.state.call) this.set({ call: { ...this.state.call, ...patch } });
  }

  private set(patch: Partial<PhoneState>): void {
    this.state = { ...this.state, ...patch };
    for (const l of this.listeners) l();
  }
}
