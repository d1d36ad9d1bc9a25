/**
 * The live call events of event webhooks (src/domain/event-webhooks.ts), from the channel
 * tracker (src/esl/channels.ts): `call.started` when a channel of a tenant is first seen
 * (CHANNEL_CREATE, or a reconcile after the link came up), `call.answered` when it is first
 * answered (CHANNEL_ANSWER, or a bridge). One event per leg: `originator` is null on the A leg
 * and names the A leg's Unique-ID on a leg it originated. `call.ended` comes with the CDR
 * (src/domain/call-events.ts). The tracker's handlers only queue here; each event is written by
 * `store.withIngest` in order, one at a time, off the event socket's read loop.
 *
 *     { "callId": "<Unique-ID>", "direction": "inbound" | "outbound", "callerNumber", "destinationNumber",
 *       "originator", "trunkId", "node", "startedAt", "answeredAt" }
 */
import type { Store } from '../db/store.js';
import { emitEvent, type WebhookEventType } from '../domain/event-webhooks.js';
import type { Channel, ChannelTracker } from './channels.js';

export class CallWebhooks {
  private readonly started = new Set<string>();
  private readonly answered = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    channels: ChannelTracker,
    private readonly store: Store,
    private readonly onError: (err: unknown, context: { callId: string; type: WebhookEventType }) => void,
  ) {
    channels.on('channel', (c) => this.changed(c));
    channels.on('hangup', (c) => {
      this.started.delete(c.uuid);
      this.answered.delete(c.uuid);
    });
  }

  /** Resolves once every event queued so far is written (or has failed). */
  flushed(): Promise<void> {
    return this.queue;
  }

  private changed(c: Readonly<Channel>): void {
    if (!c.tenantId) return;
    if (!this.started.has(c.uuid)) {
      this.started.add(c.uuid);
      this.emit('call.started', c);
    }
    if ((c.state === 'answered' || c.state === 'bridged') && !this.answered.has(c.uuid)) {
      this.answered.add(c.uuid);
      this.emit('call.answered', c);
    }
  }

  private emit(type: WebhookEventType, c: Readonly<Channel>): void {
    const tenantId = c.tenantId!;
    const data = {
      callId: c.uuid, direction: c.direction, callerNumber: c.callerNumber, destinationNumber: c.destination, originator: c.originator,
      trunkId: c.trunkId, node: c.node, startedAt: c.createdAt.toISOString(), answeredAt: c.answeredAt?.toISOString() ?? null,
    };
    this.queue = this.queue
      .then(() => this.store.withIngest((trx) => emitEvent(trx, { tenantId, type, data })))
      .then(() => undefined, (err: unknown) => this.onError(err, { callId: c.uuid, type }));
  }
}
