/**
 * Phone numbers (DIDs) in E.164 (ITU-T E.164: `+`, country code, up to 15 digits), and numbers
 * in a customer's national format read with the numbering plans of libphonenumber-js (the
 * `max` metadata: Google libphonenumber's PhoneNumberMetadata.xml, so validity follows each
 * country's number ranges, not only lengths).
 */
import { isSupportedCountry, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export type { CountryCode };

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Whether `code` is an ISO 3166-1 alpha-2 code (upper case) with a numbering plan in
 * libphonenumber-js (`IT`, `US`, `GB`; not `UK`, not `it`).
 */
export function isCountryCode(code: string): code is CountryCode {
  return /^[A-Z]{2}$/.test(code) && isSupportedCountry(code);
}

const SEPARATORS = /[\s().-]/g;

/**
 * A national-format number of `country` (`0510510510` in IT, `(212) 555-1234` in US), or one
 * dialled with the country's international prefix (`00` in IT, `011` in US), as E.164; null
 * unless it is digits (separators dropped) that libphonenumber-js finds valid (a range in use)
 * in the numbering plan it lands in.
 */
export function nationalToE164(raw: string, country: CountryCode): string | null {
  const digits = raw.replace(SEPARATORS, '');
  if (!/^\d+$/.test(digits)) return null;
  const parsed = parsePhoneNumberFromString(digits, country);
  return parsed?.isValid() ? parsed.number : null;
}

/**
 * Normalises a dialled or configured number to E.164: separators are dropped; with `country`
 * (the customer's, sql/020) a number valid in that country's national format or dialled with
 * its international prefix is read as such first; then a leading `00` becomes `+`, and a bare
 * international number of 8 to 15 digits gets its `+`. A number given with `+` is read the
 * same whatever the country.
 * @returns the E.164 string, or null when the input cannot be one (e.g. an extension `1001`)
 */
export function toE164(raw: string, country: CountryCode | null = null): string | null {
  const national = country ? nationalToE164(raw, country) : null;
  if (national) return national;
  const s = raw.replace(SEPARATORS, '');
  let candidate: string;
  if (s.startsWith('+')) candidate = s;
  else if (s.startsWith('00')) candidate = '+' + s.slice(2);
  else if (/^\d{8,15}$/.test(s)) candidate = '+' + s;
  else return null;
  return E164.test(candidate) ? candidate : null;
}

/**
 * The customer's country as stored (sql/020), as `toE164` takes it: null when unset or not a
 * code libphonenumber-js knows (a row written before a country was withdrawn reads as unset).
 */
export function countryOf(tenant: { country: string | null }): CountryCode | null {
  return tenant.country !== null && isCountryCode(tenant.country) ? tenant.country : null;
}
