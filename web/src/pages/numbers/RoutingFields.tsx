/**
 * Where a number's inbound calls go, with the fields each route needs: "Extension" (which one),
 * "AI agent" (its profile, business hours, and the failover extension taking calls outside them)
 * or "Forward" (an E.164 number). The failover extension also takes calls the route cannot.
 */
import { Autocomplete, Select, Stack, Switch, TextInput } from '@mantine/core';
import type { Form } from '../../hooks/useForm';
import type { Extension } from '../extensions/extension-api';
import { BusinessHoursEditor } from './BusinessHoursEditor';
import type { NumberForm, NumberRoute } from './number-api';

const ROUTES: { value: NumberRoute; label: string }[] = [
  { value: 'extension', label: 'Extension' },
  { value: 'ai_agent', label: 'AI agent' },
  { value: 'forward', label: 'Forward' },
];

export interface RoutingFieldsProps {
  f: Form<NumberForm>;
  extensions: readonly Extension[];
  /** The customer's IANA time zone. */
  timeZone: string;
}

export function RoutingFields({ f, extensions, timeZone }: RoutingFieldsProps) {
  const { values: v, errors, set, idOf } = f;
  const numbers = extensions.map((e) => e.extensionNumber);
  /** Who an extension number is, for the description under its field. */
  const who = (n: string) => {
    const e = extensions.find((x) => x.extensionNumber === n);
    return e ? `rings ${e.displayName ?? `extension ${n}`}` : undefined;
  };
  return (
    <Stack gap="sm">
      <Select id={idOf('route')} label="Route" description="where inbound calls go" data={ROUTES} value={v.route} error={errors.route}
        allowDeselect={false} onChange={(r) => {
          if (!r || r === v.route) return;
          set('route', r as NumberRoute);
          set('routeTarget', '');
        }} />
      {v.route === 'extension' && (
        <Select id={idOf('routeTarget')} label="Extension" description={who(v.routeTarget) ?? 'the extension that rings'} data={numbers} value={v.routeTarget || null}
          error={errors.routeTarget} searchable nothingFoundMessage="No such extension" onChange={(x) => set('routeTarget', x ?? '')} />
      )}
      {v.route === 'forward' && (
        <TextInput id={idOf('routeTarget')} label="Forward to" description="an external number in E.164, e.g. +390510510511" value={v.routeTarget}
          error={errors.routeTarget} inputMode="tel" onChange={(e) => set('routeTarget', e.currentTarget.value)} />
      )}
      {v.route === 'ai_agent' && (
        <>
          <TextInput id={idOf('aiAgentProfile')} label="AI agent profile" description="lower-case letters, digits and -, e.g. customer-care-voice"
            value={v.aiAgentProfile} error={errors.aiAgentProfile} onChange={(e) => set('aiAgentProfile', e.currentTarget.value)} />
          <Switch id={idOf('businessHours')} label="Answer only within business hours" checked={v.hoursLimited} error={errors.businessHours} aria-invalid={errors.businessHours !== undefined}
            description="outside them calls go to the failover extension; off: the AI agent answers at any time"
            onChange={(e) => set('hoursLimited', e.currentTarget.checked)} />
          {v.hoursLimited && (
            <BusinessHoursEditor hours={v.businessHours} onChange={(h) => set('businessHours', h)} timeZone={timeZone} errors={errors} idOf={idOf} />
          )}
        </>
      )}
      <Autocomplete id={idOf('failoverExtension')} label="Failover extension" data={numbers}
        description={`takes the calls the route cannot: outside business hours, an unreachable target or AI agent${who(v.failoverExtension) ? ` (${who(v.failoverExtension)})` : ''}`}
        value={v.failoverExtension} error={errors.failoverExtension} onChange={(x) => set('failoverExtension', x)} />
    </Stack>
  );
}
