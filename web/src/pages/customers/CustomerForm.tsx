import { Button, Group, Modal, NumberInput, Select, Stack, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { useFieldErrors } from '../../api/field-errors';

export interface CustomerFields { id?: string; name: string; slug?: string; sipDomain: string; timezone?: string; maxConcurrentCalls?: number; status?: 'active' | 'suspended' | 'inactive'; crmWebhookUrl?: string | null }

const EMPTY: CustomerFields = { name: '', sipDomain: '', timezone: 'UTC', maxConcurrentCalls: 10 };

/**
 * Create (POST /api/v1/customers) or edit (PATCH /api/v1/customers/{id}) a customer: name, slug,
 * SIP domain (registrar realm and dialplan context), time zone, call limit, status, CRM webhook.
 * The API's field errors show at their fields.
 */
export function CustomerForm({ editing, opened, onClose }: { editing: CustomerFields | null; opened: boolean; onClose: (saved: boolean) => void }) {
  const [v, setV] = useState<CustomerFields>(EMPTY);
  const [busy, setBusy] = useState(false);
  const f = useFieldErrors(['name', 'slug', 'sipDomain', 'timezone', 'maxConcurrentCalls', 'status', 'crmWebhookUrl']);
  useEffect(() => {
    if (opened) { setV(editing ?? EMPTY); f.clear(); }
  }, [opened, editing]); // eslint-disable-line react-hooks/exhaustive-deps
  const set = (patch: Partial<CustomerFields>) => setV((x) => ({ ...x, ...patch }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    f.clear();
    const body = {
      name: v.name, sipDomain: v.sipDomain, ...(v.slug ? { slug: v.slug } : {}), ...(v.timezone ? { timezone: v.timezone } : {}),
      ...(v.maxConcurrentCalls ? { maxConcurrentCalls: v.maxConcurrentCalls } : {}), ...(v.status ? { status: v.status } : {}),
      crmWebhookUrl: v.crmWebhookUrl ? v.crmWebhookUrl : null,
    };
    try {
      if (editing?.id) unwrap(await api.PATCH('/api/v1/customers/{customerId}', { params: { path: { customerId: editing.id } }, body }));
      else unwrap(await api.POST('/api/v1/customers', { body }));
      onClose(true);
    } catch (err) {
      f.show(err, 'The customer was not saved');
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={() => onClose(false)} title={editing ? `Edit ${editing.name}` : 'New customer'}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput label="Name" required value={v.name} onChange={(e) => set({ name: e.currentTarget.value })} error={f.errors.name} />
          <TextInput label="Slug" description="Lower-case letters, digits and dashes; empty: from the name" value={v.slug ?? ''} onChange={(e) => set({ slug: e.currentTarget.value })} error={f.errors.slug} />
          <TextInput label="SIP domain" required placeholder="acme.example.com" value={v.sipDomain} onChange={(e) => set({ sipDomain: e.currentTarget.value })} error={f.errors.sipDomain} />
          <TextInput label="Time zone" description="IANA, e.g. Europe/Rome" value={v.timezone ?? ''} onChange={(e) => set({ timezone: e.currentTarget.value })} error={f.errors.timezone} />
          <NumberInput label="Concurrent calls" min={1} max={100000} value={v.maxConcurrentCalls ?? ''} onChange={(n) => set({ maxConcurrentCalls: typeof n === 'number' ? n : undefined })} error={f.errors.maxConcurrentCalls} />
          {editing && <Select label="Status" allowDeselect={false} data={['active', 'suspended', 'inactive']} value={v.status ?? 'active'} onChange={(s) => set({ status: (s ?? 'active') as CustomerFields['status'] })} error={f.errors.status} />}
          <TextInput label="CRM webhook URL" placeholder="https://crm.example.com/hook" value={v.crmWebhookUrl ?? ''} onChange={(e) => set({ crmWebhookUrl: e.currentTarget.value })} error={f.errors.crmWebhookUrl} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => onClose(false)}>Cancel</Button>
            <Button type="submit" loading={busy}>Save</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
