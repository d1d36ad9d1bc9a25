/**
 * The phone's header line: registration state (a live status badge) and the Do not disturb
 * switch, which sets the extension's `doNotDisturb` through the API (callers then get busy).
 */
import { Badge, Group, Switch } from '@mantine/core';
import type { Registration } from './softphone';

const BADGE: Record<Registration, { color: string; text: (ext: string) => string }> = {
  connecting: { color: 'blue', text: () => 'Connecting…' },
  registered: { color: 'green', text: (ext) => `Registered as ${ext}` },
  unregistered: { color: 'gray', text: () => 'Not registered' },
  refused: { color: 'red', text: () => 'Registration refused' },
  reconnecting: { color: 'orange', text: () => 'Reconnecting…' },
};

export interface PhoneStatusProps {
  registration: Registration;
  extension: string;
  doNotDisturb: boolean | undefined;
  savingDnd: boolean;
  onDnd(on: boolean): void;
}

export function PhoneStatus({ registration, extension, doNotDisturb, savingDnd, onDnd }: PhoneStatusProps) {
  const badge = BADGE[registration];
  return (
    <Group justify="space-between" gap="sm">
      <Badge size="lg" color={badge.color} variant="light" role="status" aria-live="polite" data-registration={registration}>
        {badge.text(extension)}
      </Badge>
      <Switch
        label="Do not disturb"
        checked={doNotDisturb ?? false}
        disabled={doNotDisturb === undefined || savingDnd}
        onChange={(e) => onDnd(e.currentTarget.checked)}
      />
    </Group>
  );
}
