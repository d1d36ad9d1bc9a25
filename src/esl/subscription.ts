/**
 * The event subscription of a new event socket (mod_event_socket.c): `event json <names> CUSTOM
 * <subclasses>` (subclass names only after `CUSTOM`) and, because modesl subscribes by itself to
 * `BACKGROUND_JOB CHANNEL_EXECUTE_COMPLETE` after auth, `nixevent CHANNEL_EXECUTE_COMPLETE`
 * unless it was asked for: one event per dialplan application is not worth parsing.
 */

/** The commands that subscribe a new socket: event names first, then `CUSTOM` and every subclass. */
export function subscribeCommands(events: string[]): string[] {
  const names: string[] = [];
  const subclasses: string[] = [];
  for (const entry of events) {
    const [first, ...rest] = entry.trim().split(/\s+/);
    if (!first) continue;
    if (first.toUpperCase() === 'CUSTOM') subclasses.push(...rest);
    else names.push(first, ...rest);
  }
  const keywords = [...names, ...(subclasses.length ? ['CUSTOM', ...subclasses] : [])];
  const commands = keywords.length ? [`event json ${keywords.join(' ')}`] : [];
  const upper = names.map((n) => n.toUpperCase());
  if (!upper.includes('CHANNEL_EXECUTE_COMPLETE') && !upper.includes('ALL')) commands.push('nixevent CHANNEL_EXECUTE_COMPLETE');
  return commands;
}

