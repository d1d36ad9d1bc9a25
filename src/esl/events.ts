/**
 * Reading fields of an event as FreeSWITCH serialises it to JSON (`switch_event_serialize_json`):
 * header values are strings, a multi-valued header is an array, channel variables are
 * `variable_<name>`, and a CUSTOM event names itself in `Event-Subclass`.
 */

/** An event as FreeSWITCH serialises it to JSON; the body, if any, is in `_body`. */
export type EslEvent = Readonly<Record<string, string | string[]>>;

/** A header's value (the first one of a multi-valued header); undefined when absent or empty. */
export function field(event: EslEvent, name: string): string | undefined {
  const value = event[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text === undefined || text === '' ? undefined : text;
}

/** A channel variable (`variable_<name>`), as `field`. */
export function variable(event: EslEvent, name: string): string | undefined {
  return field(event, `variable_${name}`);
}

/** What a handler subscribes to: the `Event-Name`, or for CUSTOM events the `Event-Subclass` (e.g. `sofia::register`). */
export function eventKey(event: EslEvent): string {
  const name = field(event, 'Event-Name') ?? '';
  return name === 'CUSTOM' ? (field(event, 'Event-Subclass') ?? 'CUSTOM') : name;
}

/**
 * A FreeSWITCH microsecond epoch (`Caller-Channel-*-Time`, `variable_*_uepoch`, `Event-Date-Timestamp`)
 * as a Date; undefined for 0, absent (e.g. `answer_uepoch` of an unanswered call), garbage, or a
 * value too large for a Date.
 */
export function fromMicroseconds(value: string | undefined): Date | undefined {
  const us = Number(value);
  if (!Number.isFinite(us) || us <= 0) return undefined;
  const date = new Date(Math.floor(us / 1000));
  return Number.isNaN(date.getTime()) ? undefined : date; // beyond what a Date holds (±8.64e15 ms)
}
