/**
 * Create or edit a trunk in a dialog: every field of the API with a label, the API's defaults
 * filled in, and the API's refusals shown at the field they name (focus moves there). The
 * password is write-only: blank keeps the stored one, "Remove the stored password" clears it.
 */
import { Button, Checkbox, Divider, Group, Modal, NumberInput, PasswordInput, Select, SimpleGrid, Switch, TextInput } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useState, type FormEvent } from 'react';
import { useForm } from '../../hooks/useForm';
import { bodyOf, createTrunk, formOf, NEW_TRUNK, TRANSPORTS, TRUNK_STATUSES, updateTrunk, type Transport, type Trunk, type TrunkForm, type TrunkStatus } from './trunk-api';

/** The API fields the form shows, where the API's errors go. */
const TRUNK_FIELDS = ['name', 'provider', 'host', 'port', 'transport', 'username', 'password', 'realm', 'fromUser', 'fromDomain', 'register',
  'expireSeconds', 'retrySeconds', 'pingSeconds', 'callerIdInFrom', 'priority', 'maxChannels', 'status'];

export interface TrunkFormModalProps {
  /** The trunk to edit, or null to create one. */
  trunk: Trunk | null;
  onClose: () => void;
  /** Called with the saved trunk. */
  onSaved: (trunk: Trunk) => void;
}

/** The form; mount it afresh (a `key`) for each trunk so it starts from that trunk's values. */
export function TrunkFormModal({ trunk, onClose, onSaved }: TrunkFormModalProps) {
  const narrow = useMediaQuery('(max-width: 40em)');
  const f = useForm<TrunkForm>('trunk', trunk ? formOf(trunk) : NEW_TRUNK, TRUNK_FIELDS);
  const [saving, setSaving] = useState(false);
  const { values: v, errors, set, idOf } = f;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setSaving(true);
    f.clearErrors();
    try {
      const saved = trunk ? await updateTrunk(trunk.id, bodyOf(v)) : await createTrunk(bodyOf(v));
      notifications.show({ color: 'green', message: `Trunk ${saved.name} ${trunk ? 'saved' : 'created'}` });
      onSaved(saved);
    } catch (err) {
      f.showError(err, trunk ? 'The trunk was not saved' : 'The trunk was not created');
    } finally {
      setSaving(false);
    }
  };

  const textField = (field: 'name' | 'provider' | 'host' | 'username' | 'realm' | 'fromUser' | 'fromDomain', label: string, description?: string, required = false) => (
    <TextInput id={idOf(field)} label={label} description={description} required={required} value={v[field]} error={errors[field]}
      onChange={(e) => set(field, e.currentTarget.value)} />
  );
  const numberField = (field: 'port' | 'expireSeconds' | 'retrySeconds' | 'pingSeconds' | 'priority' | 'maxChannels', label: string, description?: string) => (
    <NumberInput id={idOf(field)} label={label} description={description} value={v[field]} error={errors[field]} allowDecimal={false}
      allowNegative={false} hideControls onChange={(n) => set(field, n)} />
  );

  return (
    <Modal opened onClose={onClose} title={trunk ? `Edit trunk ${trunk.name}` : 'New trunk'} size="lg" fullScreen={narrow}>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          {textField('name', 'Name', 'unique within your company', true)}
          {textField('provider', 'Provider', 'e.g. the carrier\'s name')}
          {textField('host', 'Host', 'the carrier\'s SIP server: name or IP address', true)}
          {numberField('port', 'Port', 'default 5060')}
          <Select id={idOf('transport')} label="Transport" data={TRANSPORTS.map((t) => ({ value: t, label: t.toUpperCase() }))} value={v.transport}
            error={errors.transport} allowDeselect={false} onChange={(t) => t && set('transport', t as Transport)} />
          <Select id={idOf('status')} label="Status" description="only active trunks carry calls" data={[...TRUNK_STATUSES]} value={v.status}
            error={errors.status} allowDeselect={false} onChange={(s) => s && set('status', s as TrunkStatus)} />
        </SimpleGrid>
        <Divider my="md" label="Authentication and registration" labelPosition="left" />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          {textField('username', 'Username', 'SIP auth username; needed to register')}
          <PasswordInput id={idOf('password')} label="Password" value={v.password} error={errors.password} aria-invalid={errors.password !== undefined} autoComplete="new-password"
            description={trunk?.passwordSet ? 'a password is stored; leave blank to keep it' : 'SIP auth password'}
            onChange={(e) => set('password', e.currentTarget.value)} />
          {textField('realm', 'Realm', 'default: the host')}
          {textField('fromUser', 'From user')}
          {textField('fromDomain', 'From domain')}
          {numberField('expireSeconds', 'Registration expiry (seconds)', 'default 3600')}
          {numberField('retrySeconds', 'Retry after failure (seconds)', 'default 30')}
          {numberField('pingSeconds', 'OPTIONS ping interval (seconds)', 'blank: no ping')}
        </SimpleGrid>
        <Group mt="sm" gap="lg">
          <Switch id={idOf('register')} label="Register with the carrier" checked={v.register} error={errors.register} aria-invalid={errors.register !== undefined}
            onChange={(e) => set('register', e.currentTarget.checked)} />
          {trunk?.passwordSet && (
            <Checkbox label="Remove the stored password" checked={v.removePassword} disabled={v.password !== ''}
              onChange={(e) => set('removePassword', e.currentTarget.checked)} />
          )}
        </Group>
        <Divider my="md" label="Calls" labelPosition="left" />
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          {numberField('priority', 'Priority', '1 is tried first for outbound calls')}
          {numberField('maxChannels', 'Max concurrent calls', 'default 10')}
        </SimpleGrid>
        <Switch mt="sm" id={idOf('callerIdInFrom')} label="Send the caller's number as From user" checked={v.callerIdInFrom} aria-invalid={errors.callerIdInFrom !== undefined}
          error={errors.callerIdInFrom} onChange={(e) => set('callerIdInFrom', e.currentTarget.checked)} />
        <Group justify="flex-end" mt="xl">
          <Button variant="default" onClick={onClose}>Cancel</Button>
          <Button type="submit" loading={saving}>{trunk ? 'Save trunk' : 'Create trunk'}</Button>
        </Group>
      </form>
    </Modal>
  );
}
