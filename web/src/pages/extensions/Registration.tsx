/**
 * Whether an extension's phone is registered: the live state from `/api/v1/live`
 * (`registrations` events, which list the registered phones) once the stream has sent one, else
 * the state stored with the extension. The tooltip (hover or keyboard focus) names the phone's
 * user agent and address when known.
 */
import { Badge, Tooltip } from '@mantine/core';
import type { LiveRegistration } from '../../live/useLive';
import type { Extension } from './extension-api';

/** The live registrations of `e`: matched by extension id, number or SIP username. */
export function registrationsOf(e: Extension, registrations: readonly LiveRegistration[]): LiveRegistration[] {
  return registrations.filter((r) => r.registered !== false && (r.extensionId === e.id || r.extensionNumber === e.extensionNumber || r.sipUsername === e.sipUsername));
}

export interface RegistrationProps {
  extension: Extension;
  registrations: readonly LiveRegistration[];
  /** Whether the live stream has sent its registrations. */
  live: boolean;
}

export function Registration({ extension: e, registrations, live }: RegistrationProps) {
  const phones = registrationsOf(e, registrations);
  const registered = live ? phones.length > 0 : e.registration.registered;
  const first = phones[0];
  const agent = first ? first.userAgent : e.registration.userAgent;
  const ip = first ? first.ip : e.registration.ip;
  const port = first ? first.port : e.registration.port;
  const where = ip ? (port ? `${ip}:${port}` : ip) : null;
  const detail = registered ? [agent, where].filter(Boolean).join(' · ') || 'registered' : 'no phone registered';
  const label = registered ? (phones.length > 1 ? `Registered (${phones.length})` : 'Registered') : 'Not registered';
  return (
    <Tooltip label={detail} withArrow events={{ hover: true, focus: true, touch: true }}>
      <Badge color={registered ? 'green' : 'gray'} variant="light" tabIndex={0} aria-label={`${label}: ${detail}`}>{label}</Badge>
    </Tooltip>
  );
}
