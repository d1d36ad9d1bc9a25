/**
 * The trunk requests of the Trunks page (src/api/trunks.ts, src/api/trunk-test.ts) and the form's
 * values: the answer's `Trunk`, the create/update bodies, the OPTIONS probe's answer.
 */
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';

export type Trunk = paths['/api/v1/trunks']['get']['responses'][200]['content']['application/json']['data'][number];
export type TrunkBody = NonNullable<paths['/api/v1/trunks']['post']['requestBody']>['content']['application/json'];
export type TrunkTestResult = paths['/api/v1/trunks/{id}/test']['post']['responses'][200]['content']['application/json']['data'];
export type Transport = Trunk['transport'];
export type TrunkStatus = Trunk['status'];

export const TRANSPORTS: readonly Transport[] = ['udp', 'tcp', 'tls'];
export const TRUNK_STATUSES: readonly TrunkStatus[] = ['active', 'inactive', 'maintenance'];

/** The form's values: text as typed, numbers as typed ('' = empty). */
export interface TrunkForm {
  name: string;
  provider: string;
  host: string;
  port: number | string;
  transport: Transport;
  username: string;
  /** '' = keep the stored password (edit) or none (create). */
  password: string;
  /** Edit only: remove the stored password. */
  removePassword: boolean;
  realm: string;
  fromUser: string;
  fromDomain: string;
  register: boolean;
  expireSeconds: number | string;
  retrySeconds: number | string;
  /** '' = no OPTIONS keep-alive. */
  pingSeconds: number | string;
  callerIdInFrom: boolean;
  priority: number | string;
  maxChannels: number | string;
  status: TrunkStatus;
}

/** A new trunk's values: the API's defaults. */
export const NEW_TRUNK: TrunkForm = {
  name: '', provider: '', host: '', port: 5060, transport: 'udp', username: '', password: '', removePassword: false,
  realm: '', fromUser: '', fromDomain: '', register: false, expireSeconds: 3600, retrySeconds: 30, pingSeconds: '',
  callerIdInFrom: false, priority: 1, maxChannels: 10, status: 'active',
};

/** A stored trunk as form values (the password is never answered: blank = unchanged). */
export function formOf(t: Trunk): TrunkForm {
  return {
    name: t.name, provider: t.provider ?? '', host: t.host, port: t.port, transport: t.transport, username: t.username ?? '',
    password: '', removePassword: false, realm: t.realm ?? '', fromUser: t.fromUser ?? '', fromDomain: t.fromDomain ?? '',
    register: t.register, expireSeconds: t.expireSeconds, retrySeconds: t.retrySeconds, pingSeconds: t.pingSeconds ?? '',
    callerIdInFrom: t.callerIdInFrom, priority: t.priority, maxChannels: t.maxChannels, status: t.status,
  };
}

const text = (v: string): string | null => (v.trim() === '' ? null : v.trim());
/** A typed number as sent: '' → null; anything else as a number (the API checks the bounds). */
const num = (v: number | string): number | null => (v === '' ? null : Number(v));

/**
 * The request body of the form: empty text is null (the API's "none"), the password only when
 * typed (or null when removed). Every number field is sent as typed so the API names the field
 * it refuses.
 */
export function bodyOf(f: TrunkForm): TrunkBody {
  const body: TrunkBody = {
    name: f.name.trim(), provider: text(f.provider), host: f.host.trim(), transport: f.transport, username: text(f.username),
    realm: text(f.realm), fromUser: text(f.fromUser), fromDomain: text(f.fromDomain), register: f.register,
    pingSeconds: num(f.pingSeconds), callerIdInFrom: f.callerIdInFrom, status: f.status,
  };
  for (const k of ['port', 'expireSeconds', 'retrySeconds', 'priority', 'maxChannels'] as const) {
    const n = num(f[k]);
    if (n !== null) body[k] = n;
  }
  if (f.password !== '') body.password = f.password;
  else if (f.removePassword) body.password = null;
  return body;
}

export const listTrunks = async (): Promise<Trunk[]> => unwrap(await api.GET('/api/v1/trunks')).data;

export const createTrunk = async (body: TrunkBody): Promise<Trunk> => unwrap(await api.POST('/api/v1/trunks', { body })).data;

export const updateTrunk = async (id: string, body: TrunkBody): Promise<Trunk> =>
  unwrap(await api.PATCH('/api/v1/trunks/{id}', { params: { path: { id } }, body })).data;

export async function deleteTrunk(id: string): Promise<void> {
  unwrap(await api.DELETE('/api/v1/trunks/{id}', { params: { path: { id } } }));
}

/** Sends a SIP OPTIONS to the trunk (waiting up to `timeoutMs`) and answers what came back. */
export const testTrunk = async (id: string, timeoutMs = 3000): Promise<TrunkTestResult> =>
  unwrap(await api.POST('/api/v1/trunks/{id}/test', { params: { path: { id }, query: { timeoutMs } } })).data;
