/**
 * The voicemail messages of a mailbox, read and changed over the event socket with mod_voicemail's
 * own commands (src/freeswitch/commands.ts `voicemail`). Each FreeSWITCH node keeps the messages
 * left on it (its voicemail database and storage directory), so a mailbox is asked of every
 * enabled node, whichever instance holds its event socket (src/esl/node-access.ts: the socket this
 * instance holds, else a short-lived one), and each message names the node holding it; a change
 * goes to that node. A node that cannot be reached is not listed (its messages come back with it).
 */
import { voicemail } from '../freeswitch/commands.js';
import { NodeUnreachableError, type NodeAccess, type NodeApi, type NodeOutcome } from './node-access.js';

/** A mailbox: the directory user id (SIP username) in a tenant's SIP domain. */
export interface Mailbox {
  domain: string;
  user: string;
}

export interface VoicemailMessage {
  /** mod_voicemail's message UUID (`VM-Message-UUID`). */
  id: string;
  /** The name of the FreeSWITCH node holding it (its node record, or ESL_NODES). */
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

/** No FreeSWITCH node can be reached (none enabled, or none answers): nothing can be listed or changed. */
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

/**
 * The values of the nodes reached.
 * @throws VoicemailUnavailableError when none was; a reached node's error (a failed command)
 */
function reached<T>(outcomes: Array<NodeOutcome<T>>): T[] {
  const values: T[] = [];
  for (const o of outcomes) {
    if (o.ok) values.push(o.value);
    else if (!(o.error instanceof NodeUnreachableError)) throw o.error;
  }
  if (values.length === 0) throw new VoicemailUnavailableError();
  return values;
}

export class VoicemailBoxes {
  constructor(private readonly nodes: Pick<NodeAccess, 'everyNode' | 'withNode'>) {}

  private async onNode(conn: NodeApi, node: string, box: Mailbox): Promise<VoicemailMessage[]> {
    const ids = [
      ...parseList(await conn.api(voicemail.list(box.domain, box.user, 'not-read'))),
      ...parseList(await conn.api(voicemail.list(box.domain, box.user, 'read'))),
    ];
    const messages = await Promise.all(ids.map(async (id) => parseMessage(node, await conn.api(voicemail.get(box.domain, box.user, id)))));
    return messages.filter((m): m is VoicemailMessage => m !== null);
  }

  /**
   * Every message of the mailbox on the nodes reached, newest first (a message two nodes both
   * list is given once, naming the last of them asked).
   * @throws VoicemailUnavailableError; the connection's error when a node fails a command
   */
  async list(box: Mailbox): Promise<VoicemailMessage[]> {
    const all = reached(await this.nodes.everyNode((conn, node) => this.onNode(conn, node, box))).flat();
    // Nodes sharing one voicemail database (voicemail.conf odbc-dsn) list the same message: once here.
    const unique = [...new Map(all.map((m) => [m.id, m] as const)).values()];
    return unique.sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime());
  }

  /** The message `id` of the mailbox, as the first node holding it gives it, or null. @throws as `list` */
  async get(box: Mailbox, id: string): Promise<VoicemailMessage | null> {
    const found = reached(await this.nodes.everyNode(async (conn, node) => parseMessage(node, await conn.api(voicemail.get(box.domain, box.user, id)))));
    return found.find((m) => m !== null) ?? null;
  }

  /** Runs `fn` on the node holding the message (found by `get`); null when no node reached holds it. @throws as `list` */
  private async onHolder<T>(box: Mailbox, id: string, fn: (conn: NodeApi, message: VoicemailMessage) => Promise<T>): Promise<T | null> {
    const message = await this.get(box, id);
    if (!message) return null;
    try {
      return await this.nodes.withNode(message.node, (conn) => fn(conn, message));
    } catch (err) {
      // Reached a moment ago, gone now.
      throw err instanceof NodeUnreachableError ? new VoicemailUnavailableError() : err;
    }
  }

  /**
   * Marks the message read (or new again); mod_voicemail sends the phone's message-waiting
   * NOTIFY. @returns the message as it is now, or null when the mailbox has no such message
   * @throws as `list`
   */
  async markRead(box: Mailbox, id: string, read: boolean): Promise<VoicemailMessage | null> {
    return this.onHolder(box, id, async (conn, message) => {
      await conn.api(voicemail.read(box.domain, box.user, id, read));
      return parseMessage(message.node, await conn.api(voicemail.get(box.domain, box.user, id)));
    });
  }

  /**
   * Deletes the message and its recording; mod_voicemail sends the message-waiting NOTIFY.
   * @returns false when the mailbox has no such message
   * @throws as `list`
   */
  async remove(box: Mailbox, id: string): Promise<boolean> {
    const removed = await this.onHolder(box, id, async (conn) => {
      await conn.api(voicemail.delete(box.domain, box.user, id));
      return true;
    });
    return removed ?? false;
  }
}
