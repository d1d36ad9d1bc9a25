/**
 * Phone numbers (DIDs) in E.164 (ITU-T E.164: `+`, country code, up to 15 digits).
 */
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Normalises a dialled or configured number to E.164: separators are dropped, a leading `00`
 * becomes `+`, and a bare international number of 8 to 15 digits gets its `+`.
 * @returns the E.164 string, or null when the input cannot be one (e.g. an extension `1001`)
 */
export function toE164(raw: string): string | null {
  const s = raw.replace(/[\s().-]/g, '');
  let candidate: string;
  if (s.startsWith('+')) candidate = s;
  else if (s.startsWith('00')) candidate = '+' + s.slice(2);
  else if (/^\d{8,15}$/.test(s)) candidate = '+' + s;
  else return null;
  return E164.test(candidate) ? candidate : null;
}
