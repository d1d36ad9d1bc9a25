/** Readers for the object trees `parseXml` returns. */
import { parseXml } from './fixtures.js';

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** name → value of a `<params>`/`<variables>`/`<settings>` element. */
export function nameValues(el: any, child: 'param' | 'variable' = 'param'): Record<string, string> {
  return Object.fromEntries(list<any>(el?.[child]).map((p) => [p['@name'], p['@value']]));
}

export interface DirectoryUserView {
  domain: string;
  id: string;
  numberAlias: string;
  cacheable: string | undefined;
  params: Record<string, string>;
  variables: Record<string, string>;
}

/** The single user of a directory answer. */
export function directoryUser(xml: string): DirectoryUserView {
  const domain = parseXml(xml).document.section.domain;
  const user = domain.groups.group.users.user;
  return {
    domain: domain['@name'],
    id: user['@id'],
    numberAlias: user['@number-alias'],
    cacheable: user['@cacheable'],
    params: nameValues(user.params),
    variables: nameValues(user.variables, 'variable'),
  };
}

/** Domain names of a directory answer. */
export function directoryDomains(xml: string): string[] {
  return list<any>(parseXml(xml).document.section.domain).map((d) => d['@name']);
}

export interface DialplanView {
  context: string;
  expression: string;
  actions: Array<[string, string | undefined]>;
}

export function dialplan(xml: string): DialplanView {
  const context = parseXml(xml).document.section.context;
  const condition = context.extension.condition;
  return {
    context: context['@name'],
    expression: condition['@expression'],
    actions: list<any>(condition.action).map((a) => [a['@application'], a['@data']]),
  };
}

export interface ProfileView {
  name: string;
  settings: Record<string, string>;
  gateways: Array<{ name: string; params: Record<string, string>; variables: Record<string, string> }>;
}

export function sofiaProfiles(xml: string): ProfileView[] {
  const conf = parseXml(xml).document.section.configuration;
  return list<any>(conf.profiles.profile).map((p) => ({
    name: p['@name'],
    settings: nameValues(p.settings),
    gateways: list<any>(p.gateways?.gateway).map((g) => ({
      name: g['@name'],
      params: nameValues(g.params),
      variables: nameValues(g.variables, 'variable'),
    })),
  }));
}
