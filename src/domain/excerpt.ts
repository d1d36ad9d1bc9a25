/**
 * How an error message quotes a value a client sent: never the whole of a large value.
 */

/** Characters of a value an error message quotes at most. */
export const EXCERPT_CHARS = 64;

/**
 * `value` as a JSON string literal (control characters and lone surrogates escaped), cut after
 * `max` characters with `…` and the full length: `"Europe/Rom…" (1000000 characters)`.
 * A surrogate pair is never cut in half.
 */
export function excerpt(value: string, max = EXCERPT_CHARS): string {
  if (value.length <= max) return JSON.stringify(value);
  const end = /[\ud800-\udbff]/.test(value[max - 1] ?? '') ? max - 1 : max;
  return `${JSON.stringify(`${value.slice(0, end)}…`)} (${value.length} characters)`;
}
