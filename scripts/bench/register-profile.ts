/**
 * The SIP profile and directory documents of `npm run bench:register`, taken from Switchplane's
 * own mod_xml_curl answers so that every arm registers against the same profile and the same
 * users: the `internal` profile's `sofia.conf` (stock: without the settings Switchplane adds to
 * lift FreeSWITCH's registration ceiling; tuned: as Switchplane serves it, plus
 * BENCH_PROFILE_SETTINGS), each user's directory answer, and those users as one static domain.
 */
import type { BenchUser } from './register-sipp.js';

/** `name=value;name=value` → pairs (BENCH_PROFILE_SETTINGS). */
export function parseSettings(text: string | undefined): Array<[string, string]> {
  if (!text) return [];
  return text.split(';').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`BENCH_PROFILE_SETTINGS: "${pair}" is not name=value`);
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
  });
}

/** `s` as an XML attribute value (`&`, `"`, `<` escaped). */
export const escapeAttr = (s: string) => s.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;');

/** The `<configuration>` element of a mod_xml_curl document. */
export function configurationOf(document: string): string {
  const conf = /<configuration[\s\S]*<\/configuration>/.exec(document)?.[0];
  if (!conf) throw new Error(`no <configuration> in the answer: ${document.slice(0, 500)}`);
  return conf;
}

/** `conf` without the params named `names` and with `extra` added to the profile's settings (replacing same-named ones). */
export function withSettings(conf: string, names: readonly string[], extra: Array<[string, string]>): string {
  let out = conf;
  for (const name of [...names, ...extra.map(([n]) => n)]) {
    out = out.replace(new RegExp(`\\s*<param name="${name.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&')}" value="[^"]*"/>`, 'g'), '');
  }
  const added = extra.map(([n, v]) => `<param name="${escapeAttr(n)}" value="${escapeAttr(v)}"/>`).join('');
  const at = out.lastIndexOf('</settings>');
  if (at < 0) throw new Error('the profile has no <settings>');
  return out.slice(0, at) + added + out.slice(at);
}

/** Every param of `conf` (global settings and the profile's) as name → value. */
export function settingsOf(conf: string): Map<string, string> {
  return new Map([...conf.matchAll(/<param name="([^"]*)" value="([^"]*)"\/>/g)].map((m) => [m[1]!, m[2]!]));
}

/** Each user's directory answer, as mod_xml_curl asks it for a REGISTER (`action=sip_auth`). */
export async function directoryAnswers(lookup: (form: Record<string, string>) => Promise<string>, domain: string, users: BenchUser[]): Promise<Record<string, string>> {
  const answers: Record<string, string> = {};
  for (const { user } of users) {
    const xml = await lookup({ section: 'directory', tag_name: 'domain', key_name: 'name', key_value: domain, domain, user, action: 'sip_auth', sip_auth_username: user, sip_auth_realm: domain, purpose: '' });
    if (!xml.includes('a1-hash')) throw new Error(`the directory answer for ${user}@${domain} has no a1-hash: ${xml.slice(0, 300)}`);
    answers[user] = xml;
  }
  return answers;
}

/** One static `<domain>` holding every user of `answers` (their `<user>` elements as served, without `cacheable`). */
export function staticDomain(domain: string, answers: Record<string, string>): string {
  const users = Object.values(answers).map((xml) => {
    const user = /<user [\s\S]*<\/user>/.exec(xml)?.[0];
    if (!user) throw new Error(`no <user> in ${xml.slice(0, 300)}`);
    return user.replace(/ cacheable="[^"]*"/, '');
  });
  return `<domain name="${domain}"><groups><group name="default"><users>\n${users.join('\n')}\n</users></group></groups></domain>`;
}
