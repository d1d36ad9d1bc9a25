/**
 * One call leg on one FreeSWITCH node, bound to its `Unique-ID`: typed commands over the node's
 * event-socket link (src/freeswitch/commands.ts), so callers never assemble command text. Every
 * method rejects like `EslConnection.api`: when the link is down or lost, on `-ERR` (e.g.
 * `-ERR No such channel!` once the leg is gone) or on a timeout.
 */
import { audioFork, audioStream, uuidBreakAll, uuidDump, uuidExists, uuidKill, uuidSetVar, uuidTransfer } from '../freeswitch/commands.js';
import { ChannelEvent } from './channel-event.js';
import type { EslEvent } from './events.js';

/** What a channel needs of its node's link; an `EslConnection` is one. */
export interface ChannelLink {
  /** Runs an `api` command and resolves with its output. */
  api(cmd: string): Promise<string>;
  /** Queues a dialplan application on a channel (`sendmsg` execute). */
  execute(uuid: string, app: string, arg: string): Promise<void>;
}

/** The media fork modules a channel can stream through. */
export type ForkModuleName = 'audio_stream' | 'audio_fork';

export class CallChannel {
  /**
   * @param node the ESL_NODES name of the node holding the leg
   * @param uuid the leg's `Unique-ID`
   */
  constructor(
    readonly node: string,
    readonly uuid: string,
    private readonly link: ChannelLink,
  ) {}

  /** Blind transfer into `<extension> XML <context>`; with `bleg`, of the leg bridged to this one. */
  async transfer(extension: string, context: string, opts: { bleg?: boolean } = {}): Promise<void> {
    await this.link.api(uuidTransfer(this.uuid, extension, context, opts));
  }

  /** Hangs the leg up with `cause` (FreeSWITCH's default NORMAL_CLEARING when none is given). */
  async hangup(cause?: string): Promise<void> {
    await this.link.api(uuidKill(this.uuid, cause));
  }

  /** Queues a dialplan application in the channel's own thread (e.g. `playback <file>`). */
  execute(app: string, arg: string): Promise<void> {
    return this.link.execute(this.uuid, app, arg);
  }

  /** Sets a channel variable. */
  async setVariable(name: string, value: string): Promise<void> {
    await this.link.api(uuidSetVar(this.uuid, name, value));
  }

  /** Stops the playing file and drops the queued ones. */
  async breakPlayback(): Promise<void> {
    await this.link.api(uuidBreakAll(this.uuid));
  }

  /** Whether FreeSWITCH still has the leg (`uuid_exists`). */
  async exists(): Promise<boolean> {
    return (await this.link.api(uuidExists(this.uuid))).trim() === 'true';
  }

  /** The leg's current headers and variables (`uuid_dump <uuid> json`). */
  async dump(): Promise<ChannelEvent | undefined> {
    return ChannelEvent.parse(JSON.parse(await this.link.api(uuidDump(this.uuid))) as EslEvent);
  }

  /** Starts streaming the leg's audio to `url` through `module`, with its metadata text. */
  async startFork(module: ForkModuleName, url: string, metadata: string): Promise<void> {
    await this.link.api(module === 'audio_stream' ? audioStream.start(this.uuid, url, metadata) : audioFork.start(this.uuid, url, metadata));
  }

  /** Stops the leg's media fork. */
  async stopFork(module: ForkModuleName): Promise<void> {
    await this.link.api(module === 'audio_stream' ? audioStream.stop(this.uuid) : audioFork.stop(this.uuid));
  }
}
