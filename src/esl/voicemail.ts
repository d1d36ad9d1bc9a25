/**
 * The voicemail messages of a mailbox, read and changed over the event socket with mod_voicemail's
 * own commands (src/freeswitch/commands.ts `voicemail`). Each FreeSWITCH node keeps the messages
 * left on it (its voicemail database and storage directory), so a mailbox is asked of every
 * connected node and each message names the node holding it; a change goes to that node. A node
 * that is down is not listed (its messages come back with it).
 */
import { voicemail } from '../freeswitch/commands.js';
import type { EslConnection } from './connection.js';
import type { EslNodes } from './nodes.js';

/** A mailbox: the directory user id (SIP username) in a tenant's SIP domain. */
export interface Mailbox {
  domain: string;
  user: string;
}

export interface VoicemailMessage {
  /** mod_voicemail's message UUID (`VM-Message-UUID`). */
  id: string;
  /** The ESL_NODES name of the FreeSWITCH node holding it. */
  node: string;
  callerName: string;
  callerNumber: string;
  receivedAt: Date;
  /** When it was heard (from the phone's menu) or marked read; null while new. */
  readAt: Date | null;
  /** Length of the recording, whole seconds (mod_voicemail's message_len). */
  durationSeconds: number;
  /** `A_URGENT` read flag (the caller pressed the urgent key). */
  urgent: boolean;
}

/** No FreeSWITCH node is connected: nothing can be listed or changed. */
export class VoicemailUnavailableError extends Error {
  constructor() {
    super('no FreeSWITCH event socket is connected');
  }
}

const epoch = (s: string | undefined): Date | null => (s && Number(s) > 0 ? new Date(Number(s) * 1000) : null);

/** A `vm_fsdb_msg_get json` answer as a message, or null when it holds none. */
export function parseMessage(node: string, json: string): VoicemailMessage | null {
  const h = JSON.parse(json) as Record<string, string | undefined>;
  const id = h['VM-Message-UUID'];
  if (!id) return null;
  return {
    id,
    node,
    callerName: h['VM-Message-Caller-Name'] ?? '',
    callerNumber: h['VM-Message-Caller-Number'] ?? '',
    receivedAt: epoch(h['VM-Message-Received-Epoch']) ?? new Date(0),
    readAt: epoch(h['VM-Message-Read-Epoch']),
    durationSeconds: Number(h['VM-Message-Duration'] ?? 0) || 0,
    urgent: h['VM-Message-Read-Flags'] === 'A_URGENT',
  };
}

/** The UUIDs of a `vm_fsdb_msg_list json` answer, in its order. */
export function parseList(json: string): string[] {
  const h = JSON.parse(json) as Record<string, string | undefined>;
  const count = Number(h['VM-List-Count'] ?? 0);
  const ids: string[] = [];
  for (let i = 1; i <= count; i++) {
    const id = h[`VM-List-Message-${i}-UUID`];
    if (id) ids.push(id);
  }
  return ids;
}

export class VoicemailBoxes {
  constructor(private readonly nodes: EslNodes) {}

  private connected(): EslConnection[] {
    const up = this.nodes.connections.filter((c) => c.health().connected);
    if (up.length === 0) throw new VoicemailUnavailableError();
    return up;
  }

  private async onNode(conn: EslConnection, box: Mailbox): Promise<VoicemailMessage[]> {
    const node = conn.health().name;
    const ids = [
      ...parseList(await conn.api(voicemail.list(box.domain, box.user, 'not-read'))),
      ...parseList(await conn.api(voicemail.list(box.domain, box.user, 'read'))),
    ];
    const messages = await Promise.all(ids.map(async (id) => parseMessage(node, await conn.api(voicemail.get(box.domain, box.user, id)))));
    return messages.filter((m): m is VoicemailMessage => m !== null);
  }

  /**
   * Every message of the mailbox on the connected nodes, newest first (a message two nodes both
   * list is given once, naming the last of them asked).
   * @throws VoicemailUnavailableError; the connection's error when a node fails a command
   */
  async list(box: Mailbox): Promise<VoicemailMessage[]> {
    const all = (await Promise.all(this.connected().map((c) => this.onNode(c, box)))).flat();
    // Nodes sharing one voicemail database (voicemail.conf odbc-dsn) list the same message: once here.
    const unique = [...new Map(all.map((m) => [m.id, m] as const)).values()];
    return unique.sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime());
  }

  /** The message `id` of the mailbox and the node holding it, or null. @throws as `list` */
  private async find(box: Mailbox, id: string): Promise<{ conn: EslConnection; message: VoicemailMessage } | null> {
    for (const conn of this.connected()) {
      const message = parseMessage(conn.health().name, await conn.api(voicemail.get(box.domain, box.user, id)));
      if (message) return { conn, message };
    }
    return null;
  }

  /** The message `id` of the mailbox, or null. @throws as `list` */
  async get(box: Mailbox, id: string): Promise<VoicemailMessage | null> {
    return (await this.find(box, id))?.message ?? null;
  }

  /**
   * Marks the message read (or new again); mod_voicemail sends the phone's message-waiting
   * NOTIFY. @returns the message as it is now, or null when the mailbox has no such message
   * @throws as `list`
   */
  async markRead(box: Mailbox, id: string, read: boolean): Promise<VoicemailMessage | null> {
    const found = await this.find(box, id);
    if (!found) return null;
    await found.conn.api(voicemail.read(box.domain, box.user, id, read));
    return parseMessage(found.message.node, await found.conn.api(voicemail.get(box.domain, box.user, id)));
  }

  /**
   * Deletes the message and its recording; mod_voicemail sends the message-waiting NOTIFY.
   * @returns false when the mailbox has no such message
   * @throws as `list`
   */
  async remove(box: Mailbox, id: string): Promise<boolean> {
    const found = await this.find(box, id);
    if (!found) return false;
    await found.conn.api(voicemail.delete(box.domain, box.user, id));
    return true;
  }
}
