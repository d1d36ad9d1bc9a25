/**
 * The phone number requests of the Numbers page (src/api/phone-numbers.ts) and the form's values:
 * the DID, its trunk, its route (an extension, the AI agent, or a forward to an external
 * number), business hours per weekday, failover extension and CRM webhook.
 */
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';

export type PhoneNumber = paths['/api/v1/phone-numbers']['get']['responses'][200]['content']['application/json']['data'][number];
export type NumberBody = NonNullable<paths['/api/v1/phone-numbers']['post']['requestBody']>['content']['application/json'];
export type BusinessHours = NonNullable<PhoneNumber['businessHours']>;
export type Weekday = keyof BusinessHours;
export type NumberRoute = PhoneNumber['route'];

/** Monday first, as luxon's `weekday` 1–7 counts them. */
export const WEEKDAYS: readonly Weekday[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** One weekday in the editor: closed, or open from `start` (inclusive) to `end` (exclusive), HH:MM. */
export interface DayForm {
  open: boolean;
  start: string;
  end: string;
}

export interface NumberForm {
  number: string;
  /** '' = no trunk. */
  trunkId: string;
  description: string;
  incomingEnabled: boolean;
  outboundEnabled: boolean;
  route: NumberRoute;
  /** The extension number (route `extension`) or E.164 number (route `forward`); unused by `ai_agent`. */
  routeTarget: string;
  aiAgentProfile: string;
  /** false = no business hours (always open). */
  hoursLimited: boolean;
  businessHours: Record<Weekday, DayForm>;
  failoverExtension: string;
  crmWebhookUrl: string;
  /** '' = keep the stored secret. */
  crmWebhookSecret: string;
}

const OFFICE_DAY: DayForm = { open: true, start: '09:00', end: '18:00' };
const CLOSED_DAY: DayForm = { open: false, start: '09:00', end: '18:00' };

/** Business hours as the editor shows them; no policy opens with office hours (Monday to Friday 09:00–18:00) to start from. */
export function hoursForm(h: BusinessHours | null): Record<Weekday, DayForm> {
  const weekend = (d: Weekday) => d === 'saturday' || d === 'sunday';
  return Object.fromEntries(WEEKDAYS.map((d) => {
    if (!h) return [d, weekend(d) ? CLOSED_DAY : OFFICE_DAY];
    const day = h[d];
    return [d, day ? { open: true, start: day.start, end: day.end } : CLOSED_DAY];
  })) as Record<Weekday, DayForm>;
}

/** The editor's hours as the API takes them: a closed day is null. */
export function hoursBody(hours: Record<Weekday, DayForm>): BusinessHours {
  return Object.fromEntries(WEEKDAYS.map((d) => [d, hours[d].open ? { start: hours[d].start, end: hours[d].end } : null])) as BusinessHours;
}

export const NEW_NUMBER: NumberForm = {
  number: '', trunkId: '', description: '', incomingEnabled: true, outboundEnabled: true, route: 'extension', routeTarget: '',
  aiAgentProfile: '', hoursLimited: false, businessHours: hoursForm(null), failoverExtension: '', crmWebhookUrl: '', crmWebhookSecret: '',
};

export function formOf(n: PhoneNumber): NumberForm {
  return {
    number: n.number, trunkId: n.trunkId ?? '', description: n.description ?? '', incomingEnabled: n.incomingEnabled,
    outboundEnabled: n.outboundEnabled, route: n.route, routeTarget: n.routeTarget ?? '', aiAgentProfile: n.aiAgentProfile ?? '',
    hoursLimited: n.businessHours !== null, businessHours: hoursForm(n.businessHours), failoverExtension: n.failoverExtension ?? '',
    crmWebhookUrl: n.crmWebhookUrl ?? '', crmWebhookSecret: '',
  };
}

const text = (v: string): string | null => (v.trim() === '' ? null : v.trim());

/**
 * The request body of the form. The route's target is the field of the chosen route; an empty
 * CRM webhook URL removes the webhook and its secret; a typed secret replaces the stored one.
 */
export function bodyOf(f: NumberForm, secretSet: boolean): NumberBody {
  const body: NumberBody = {
    number: f.number.trim(), trunkId: text(f.trunkId), description: text(f.description), incomingEnabled: f.incomingEnabled,
    outboundEnabled: f.outboundEnabled, route: f.route,
    routeTarget: f.route === 'ai_agent' ? null : text(f.routeTarget),
    aiAgentProfile: f.route === 'ai_agent' ? text(f.aiAgentProfile) : null,
    businessHours: f.hoursLimited ? hoursBody(f.businessHours) : null,
    failoverExtension: text(f.failoverExtension), crmWebhookUrl: text(f.crmWebhookUrl),
  };
  if (f.crmWebhookSecret !== '') body.crmWebhookSecret = f.crmWebhookSecret;
  else if (body.crmWebhookUrl === null && secretSet) body.crmWebhookSecret = null;
  return body;
}

export const listNumbers = async (): Promise<PhoneNumber[]> => unwrap(await api.GET('/api/v1/phone-numbers')).data;

export const createNumber = async (body: NumberBody): Promise<PhoneNumber> => unwrap(await api.POST('/api/v1/phone-numbers', { body })).data;

export const updateNumber = async (id: string, body: NumberBody): Promise<PhoneNumber> =>
  unwrap(await api.PATCH('/api/v1/phone-numbers/{id}', { params: { path: { id } }, body })).data;

export async function deleteNumber(id: string): Promise<void> {
  unwrap(await api.DELETE('/api/v1/phone-numbers/{id}', { params: { path: { id } } }));
}
