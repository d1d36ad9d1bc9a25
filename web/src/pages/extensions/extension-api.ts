/**
 * The extension requests of the Extensions page (src/api/extensions.ts) and the form's values:
 * create (the answer carries the SIP credentials, shown once), the features a user edits
 * (voicemail and PIN, call forwarding, do not disturb, recording, caller ID, status), delete,
 * and the credentials read behind their own permission.
 */
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';

export type Extension = paths['/api/v1/extensions']['get']['responses'][200]['content']['application/json']['data'][number];
export type ExtensionBody = NonNullable<paths['/api/v1/extensions']['post']['requestBody']>['content']['application/json'];
type Created = paths['/api/v1/extensions']['post']['responses'][201]['content']['application/json']['data'];
export type SipCredentials = Created['sipCredentials'];
export type ExtensionStatus = Extension['status'];

export const EXTENSION_STATUSES: readonly ExtensionStatus[] = ['active', 'inactive', 'suspended'];

/** The values the form edits; text as typed. */
export interface ExtensionForm {
  /** Create only; '' = the lowest free number from 1001. */
  extensionNumber: string;
  displayName: string;
  email: string;
  callerIdName: string;
  callerIdNumber: string;
  voicemailEnabled: boolean;
  /** '' = keep the stored PIN. */
  voicemailPin: string;
  /** Edit only: remove the stored PIN. */
  removeVoicemailPin: boolean;
  forwardingEnabled: boolean;
  forwardingNumber: string;
  doNotDisturb: boolean;
  callRecording: boolean;
  status: ExtensionStatus;
}

export const NEW_EXTENSION: ExtensionForm = {
  extensionNumber: '', displayName: '', email: '', callerIdName: '', callerIdNumber: '', voicemailEnabled: false, voicemailPin: '',
  removeVoicemailPin: false, forwardingEnabled: false, forwardingNumber: '', doNotDisturb: false, callRecording: false, status: 'active',
};

export function formOf(e: Extension): ExtensionForm {
  return {
    extensionNumber: e.extensionNumber, displayName: e.displayName ?? '', email: e.email ?? '', callerIdName: e.callerIdName ?? '',
    callerIdNumber: e.callerIdNumber ?? '', voicemailEnabled: e.voicemailEnabled, voicemailPin: '', removeVoicemailPin: false,
    forwardingEnabled: e.forwardingEnabled, forwardingNumber: e.forwardingNumber ?? '', doNotDisturb: e.doNotDisturb,
    callRecording: e.callRecording, status: e.status,
  };
}

const text = (v: string): string | null => (v.trim() === '' ? null : v.trim());

/** The body of the form: empty text is null; the number only on create (when typed); the PIN only when typed or removed. */
export function bodyOf(f: ExtensionForm, creating: boolean): ExtensionBody {
  const body: ExtensionBody = {
    displayName: text(f.displayName), email: text(f.email), callerIdName: text(f.callerIdName), callerIdNumber: text(f.callerIdNumber),
    voicemailEnabled: f.voicemailEnabled, forwardingEnabled: f.forwardingEnabled, forwardingNumber: text(f.forwardingNumber),
    doNotDisturb: f.doNotDisturb, callRecording: f.callRecording, status: f.status,
  };
  if (creating && f.extensionNumber.trim() !== '') body.extensionNumber = f.extensionNumber.trim();
  if (f.voicemailPin !== '') body.voicemailPin = f.voicemailPin;
  else if (f.removeVoicemailPin) body.voicemailPin = null;
  return body;
}

export const listExtensions = async (): Promise<Extension[]> => unwrap(await api.GET('/api/v1/extensions')).data;

/** Creates an extension; the answer holds its SIP credentials, which are not shown again. */
export const createExtension = async (body: ExtensionBody): Promise<Extension & { sipCredentials: SipCredentials }> =>
  unwrap(await api.POST('/api/v1/extensions', { body })).data;

export const updateExtension = async (id: string, body: ExtensionBody): Promise<Extension> =>
  unwrap(await api.PATCH('/api/v1/extensions/{id}', { params: { path: { id } }, body })).data;

export async function deleteExtension(id: string): Promise<void> {
  unwrap(await api.DELETE('/api/v1/extensions/{id}', { params: { path: { id } } }));
}

/** The SIP credentials with the password (admin and operator; an agent its own extension's). */
export const extensionCredentials = async (id: string): Promise<SipCredentials> =>
  unwrap(await api.GET('/api/v1/extensions/{id}/credentials', { params: { path: { id } } })).data;
