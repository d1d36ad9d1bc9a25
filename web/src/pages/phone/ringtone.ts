/**
 * The ring of an incoming call, made with WebAudio (no sound file): the North American ring
 * cadence, 440 Hz + 480 Hz for 2 s, then 4 s of silence, repeated until `stop()`. A browser that
 * has not had a click on the page yet may keep the AudioContext suspended (autoplay policy);
 * the ring then starts with the first click, and the page shows the incoming call anyway.
 */
const ON_SECONDS = 2;
const PERIOD_SECONDS = 6;
const LEVEL = 0.12;

export class RingTone {
  private context: AudioContext | undefined;
  private stopTimer: (() => void) | undefined;

  /** Starts ringing (no-op while ringing). */
  start(): void {
    if (this.stopTimer) return;
    this.context ??= new AudioContext();
    const ctx = this.context;
    void ctx.resume().catch(() => undefined);
    const gain = ctx.createGain();
    gain.gain.value = 0;
    gain.connect(ctx.destination);
    const oscillators = [440, 480].map((hz) => {
      const o = ctx.createOscillator();
      o.frequency.value = hz;
      o.connect(gain);
      o.start();
      return o;
    });
    const schedule = () => {
      const t = ctx.currentTime;
      gain.gain.setValueAtTime(LEVEL, t);
      gain.gain.setValueAtTime(0, t + ON_SECONDS);
    };
    schedule();
    const timer = window.setInterval(schedule, PERIOD_SECONDS * 1000);
    this.stopTimer = () => {
      window.clearInterval(timer);
      for (const o of oscillators) o.stop();
      gain.disconnect();
    };
  }

  /** Stops ringing (no-op when silent). */
  stop(): void {
    this.stopTimer?.();
    this.stopTimer = undefined;
  }

  /** Plays on the chosen output device where the browser allows it (AudioContext.setSinkId). */
  async setSink(deviceId: string): Promise<void> {
    this.context ??= new AudioContext();
    const ctx = this.context as AudioContext & { setSinkId?: (id: string) => Promise<void> };
    await ctx.setSinkId?.(deviceId);
  }

  /** Releases the audio device. */
  close(): void {
    this.stop();
    void this.context?.close();
    this.context = undefined;
  }
}
