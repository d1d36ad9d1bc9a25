/**
 * An event-socket listener of the test's own, independent of Switchplane's ESL controller: it
 * counts the CHANNEL_HANGUP_COMPLETE events the real switch sends, so that the CDRs Switchplane
 * wrote can be compared with what FreeSWITCH says happened. Plain modesl, closed when the test ends.
 */
import esl from 'modesl';
import type { Test } from 'tap';

export interface Hangup {
  uniqueId: string;
  direction: string | null;
  cause: string | null;
  billsec: number;
  destination: string | null;
  /** Headers of the event as FreeSWITCH sent them (plain, URL-decoded by modesl). */
  headers: Record<string, string>;
}

export interface HangupListener {
  hangups: Hangup[];
  close(): void;
}

/** Connects to the switch's event socket and subscribes to CHANNEL_HANGUP_COMPLETE. */
export function listenForHangups(t: Test, port: number): Promise<HangupListener> {
  return new Promise((resolve, reject) => {
    const conn = new esl.Connection('127.0.0.1', port, 'ClueCon');
    const hangups: Hangup[] = [];
    const close = () => conn.socket?.destroy();
    t.teardown(close);
    conn.on('error', reject);
    conn.on('esl::event::CHANNEL_HANGUP_COMPLETE::*', (event) => {
      const headers = Object.fromEntries(event.headers.map((h) => [h.name, String(h.value)]));
      hangups.push({
        uniqueId: headers['Unique-ID']!,
        direction: headers['Call-Direction'] ?? null,
        cause: headers['Hangup-Cause'] ?? null,
        billsec: Number(headers['variable_billsec'] ?? 0),
        destination: headers['Caller-Destination-Number'] ?? null,
        headers,
      });
    });
    conn.once('esl::ready', () => {
      conn.sendRecv('event plain CHANNEL_HANGUP_COMPLETE', () => resolve({ hangups, close }));
    });
  });
}
