/**
 * React side of the browser phone: one `Softphone` per set of credentials, started when the page
 * shows and unregistered when it goes away; `state` re-renders on every change. Also the call
 * timer and the RTP packet counts of the call in progress, both refreshed every second.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { Softphone, type MediaCounts, type PhoneCredentials, type PhoneState } from './softphone';

const IDLE: PhoneState = { registration: 'connecting', problem: null, call: null };
const noSubscription = () => () => undefined;

export function useSoftphone(creds: PhoneCredentials | undefined): { phone: Softphone | undefined; state: PhoneState } {
  const [phone, setPhone] = useState<Softphone>();
  useEffect(() => {
    if (!creds) return undefined;
    const p = new Softphone(creds);
    setPhone(p);
    void p.start();
    return () => {
      void p.stop();
      setPhone(undefined);
    };
  }, [creds]);
  const state = useSyncExternalStore(phone?.subscribe ?? noSubscription, phone?.snapshot ?? (() => IDLE));
  return { phone, state };
}

/** Seconds since `since` (Date.now() milliseconds), ticking every second; 0 when null. */
export function useElapsed(since: number | null): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (since === null) return undefined;
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [since]);
  return since === null ? 0 : Math.max(0, Math.floor((now - since) / 1000));
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** The browser's RTP packet counts of the call, read every second while `active`. */
export function useMediaCounts(phone: Softphone | undefined, active: boolean): MediaCounts | null {
  const [counts, setCounts] = useState<MediaCounts | null>(null);
  useEffect(() => {
    if (!phone || !active) {
      setCounts(null);
      return undefined;
    }
    let live = true;
    const read = () => void phone.mediaCounts().then((c) => live && setCounts(c), () => undefined);
    read();
    const timer = window.setInterval(read, 1000);
    return () => {
      live = false;
      window.clearInterval(timer);
    };
  }, [phone, active]);
  return counts;
}
