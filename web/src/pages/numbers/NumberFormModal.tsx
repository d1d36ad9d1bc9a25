/**
 * Create or edit a phone number in a dialog: the DID (E.164), its trunk, description, inbound
 * and outbound switches, the route with its fields (RoutingFields), and the CRM webhook. The
 * API's refusals are shown at the field they name. A CRM webhook secret that was saved is shown
 * once more with a copy button: the API never answers it.
 */
import { Button, Divider, Group, Modal, Select, SimpleGrid, Switch, TextInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useState, type FormEvent } from 'react';
import { useForm } from '../../hooks/useForm';
import { SecretValues } from '../../components/SecretValues';
import type { Extension } from '../extensions/extension-api';
import type { Trunk } from '../trunks/trunk-api';
import { CrmWebhookFields } from './CrmWebhookFields';
import { bodyOf, createNumber, formOf, NEW_NUMBER, updateNumber, WEEKDAYS, type NumberForm, type PhoneNumber } from './number-api';
import { RoutingFields } from './RoutingFields';

/** The API fields the form shows (each weekday's and its times too), where the API's errors go. */
const NUMBER_FIELDS = [
  'number', 'trunkId', 'description', 'incomingEnabled', 'outboundEnabled', 'route', 'routeTarget', 'aiAgentProfile', 'failoverExtension',
  'crmWebhookUrl', 'crmWebhookSecret', 'businessHours',
  ...WEEKDAYS.flatMap((d) => [`businessHours.${d}`, `businessHours.${d}.start`, `businessHours.${d}.end`]),
];

export interface NumberFormModalProps {
  /** The number to edit, or null to create one. */
  number: PhoneNumber | null;
  trunks: readonly Trunk[];
  extensions: readonly Extension[];
  timeZone: string;
  onClose: () => void;
  onSaved: () => void;
}

export function NumberFormModal({ number, trunks, extensions, timeZone, onClose, onSaved }: NumberFormModalProps) {
  const narrow = useMediaQuery('(max-width: 40em)');
  const f = useForm<NumberForm>('number', number ? formOf(number) : NEW_NUMBER, NUMBER_FIELDS);
  const [saving, setSaving] = useState(false);
  /** The secret just saved, shown once before the dialog closes. */
  const [savedSecret, setSavedSecret] = useState<string | null>(null);
  const { values: v, errors, set, idOf } = f;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    f.clearErrors();
    try {
      const body = bodyOf(v, number?.crmWebhookSecretSet ?? false);
      const saved = number ? await updateNumber(number.id, body) : await createNumber(body);
      notifications.show({ color: 'green', message: `Number ${saved.number} ${number ? 'saved' : 'created'}` });
      onSaved();
      if (typeof body.crmWebhookSecret === 'string') setSavedSecret(body.crmWebhookSecret);
      else onClose();
    } catch (err) {
      f.showError(err, number ? 'The number was not saved' : 'The number was not created');
    } finally {
      setSaving(false);
    }
  };

  if (savedSecret) {
    return (
      <Modal opened onClose={onClose} title="CRM webhook secret saved" centered>
        <SecretValues warning="Set this secret in your CRM to check the X-Switchplane-Signature of each ticket. It is not shown again."
          values={[{ label: 'CRM webhook secret', value: savedSecret }]} />
        <Group justify="flex-end" mt="lg"><Button onClick={onClose}>Done</Button></Group>
      </Modal>
    );
  }

  return (
    <Modal opened onClose={onClose} title={number ? `Edit number ${number.number}` : 'New number'} size="lg" fullScreen={narrow}>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          <TextInput id={idOf('number')} label="Number" description="E.164, e.g. +390510510510" required value={v.number} error={errors.number}
            inputMode="tel" onChange={(e) => set('number', e.currentTarget.value)} />
          <Select id={idOf('trunkId')} label="Trunk" description="the carrier trunk this number arrives on" value={v.trunkId || null}
            data={trunks.map((t) => ({ value: t.id, label: t.name }))} error={errors.trunkId} clearable placeholder="No trunk"
            onChange={(x) => set('trunkId', x ?? '')} />
        </SimpleGrid>
        <TextInput mt="sm" id={idOf('description')} label="Description" value={v.description} error={errors.description}
          onChange={(e) => set('description', e.currentTarget.value)} />
        <Group mt="sm" gap="lg">
          <Switch id={idOf('incomingEnabled')} label="Inbound calls allowed" checked={v.incomingEnabled} onChange={(e) => set('incomingEnabled', e.currentTarget.checked)} />
          <Switch id={idOf('outboundEnabled')} label="Outbound calls allowed" checked={v.outboundEnabled} onChange={(e) => set('outboundEnabled', e.currentTarget.checked)} />
        </Group>
        <Divider my="md" label="Routing" labelPosition="left" />
        <RoutingFields f={f} extensions={extensions} timeZone={timeZone} />
        <Divider my="md" label="CRM webhook" labelPosition="left" />
        <CrmWebhookFields f={f} secretSet={number?.crmWebhookSecretSet ?? false} />
        <Group justify="flex-end" mt="xl">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={saving}>{number ? 'Save number' : 'Create number'}</Button>
        </Group>
      </form>
    </Modal>
  );
}
