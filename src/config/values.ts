/**
 * Variables whose text holds more than one scalar: the secrets key, the event-socket list, URLs
 * and address lists. Each takes the value read by ./env.ts and throws a ConfigError naming the
 * variable when it is unusable.
 */
import { parseRanges, type AddressRange } from '../address-ranges.js';
import { ConfigError } from './error.js';
import type { EslNodeAddress } from './types.js';
import { VARIABLES } from './variables.js';

/** The password in freeswitch/autoload_configs/{xml_curl,json_cdr}.conf.xml as shipped, refused as a setting. */
export const XMLCURL_PLACEHOLDER_PASSWORD = 'change-me';

/** `SECRETS_KEY`: 64 hex digits or base64, 32 bytes either way; undefined when unset. */
export function secretsKey(raw: string | undefined): Buffer | undefined {
  if (!raw) return undefined;
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new ConfigError('SECRETS_KEY', 'expected 32 bytes as 64 hex digits or base64');
  return key;
}

/** `ESL_NODES`: comma-separated `name@host:port` or `host:port` (the name is then the host). */
export function eslNodes(raw: string | undefined): EslNodeAddress[] {
  const nodes: EslNodeAddress[] = [];
  for (const item of (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(?:([\w.-]+)@)?(\[[0-9a-f:.]+\]|[^\s@:[\]]+):(\d{1,5})$/i.exec(item);
    const port = Number(m?.[3]);
    if (!m?.[2] || port < 1 || port > 65535) {
      throw new ConfigError('ESL_NODES', `expected name@host:port or host:port with a port from 1 to 65535, got "${item}"`);
    }
    const host = m[2].replace(/^\[(.*)\]$/, '$1');
    const name = m[1] ?? host;
    if (nodes.some((n) => n.name === name)) throw new ConfigError('ESL_NODES', `node name "${name}" is used twice`);
    nodes.push({ name, host, port });
  }
  return nodes;
}

/**
 * A URL variable (`protocols` in its schema): absolute, of one of those protocols; returned
 * without trailing slashes.
 */
export function url(name: 'OPENAI_BASE_URL' | 'MEDIA_WS_URL' | 'PEER_URL', raw: string): string {
  const protocols = VARIABLES[name].protocols as string[];
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `expected an absolute URL, got "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `expected a ${protocols.join(' or ')} URL, got "${raw}"`);
  return raw.replace(/\/+$/, '');
}

const list = (raw: string | undefined): string[] => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/**
 * `XMLCURL_ALLOW_FROM`: comma-separated addresses or CIDRs. An entry admitting every address
 * (a /0 such as 0.0.0.0/0 or ::/0) is refused unless credentials are set, since it would open
 * `/freeswitch/*` (directory passwords, trunk credentials) to the network.
 */
export function xmlcurlAllowFrom(raw: string | undefined, withCredentials: boolean): string[] {
  const entries = list(raw);
  let ranges: AddressRange[];
  try {
    ranges = parseRanges(entries);
  } catch (err) {
    throw new ConfigError('XMLCURL_ALLOW_FROM', (err as Error).message);
  }
  for (const [i, entry] of entries.entries()) {
    if (ranges[i]![1] === 0 && !withCredentials) {
      throw new ConfigError(
        'XMLCURL_ALLOW_FROM',
        `"${entry}" admits every address, which would let anyone read SIP passwords from /freeswitch/*; ` +
          'list FreeSWITCH\'s addresses only, or also set XMLCURL_USERNAME and XMLCURL_PASSWORD (and the same in xml_curl.conf.xml and json_cdr.conf.xml)',
      );
    }
  }
  return entries;
}

/** `DESTINATION_ALLOW`: comma-separated CIDRs (or single addresses), checked by `parseRanges`. */
export function destinationAllow(raw: string | undefined): string[] {
  const entries = list(raw);
  try {
    parseRanges(entries);
  } catch (err) {
    throw new ConfigError('DESTINATION_ALLOW', (err as Error).message);
  }
  return entries;
}

/** TRUST_PROXY as a list of addresses and CIDRs. @throws ConfigError (TRUST_PROXY) naming an entry that is neither */
export function trustedProxies(raw: string | undefined): string[] {
  const entries = list(raw);
  try {
    parseRanges(entries);
  } catch (err) {
    throw new ConfigError('TRUST_PROXY', (err as Error).message);
  }
  return entries;
}
