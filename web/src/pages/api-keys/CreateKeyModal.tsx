import { Alert, Button, Checkbox, Code, CopyButton, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { useFieldErrors } from '../../api/field-errors';

const SCOPES = [
  { value: 'tenant', label: 'tenant — read and write one customer' },
  { value: 'tenant:read', label: 'tenant:read — read one customer' },
  { value: 'extensions:credentials', label: 'extensions:credentials — read SIP passwords' },
  { value: 'admin', label: 'admin — every customer (platform-wide key only)' },
] as const;
type Scope = (typeof SCOPES)[number]['value'];

/**
 * Creates an API key (POST /api/v1/api-keys `{ name, customerId?, scopes }`) and then shows the
 * key once, with a copy button and the warning that it cannot be shown again.
 */
export function CreateKeyModal({ opened, onClose, customers }: { opened: boolean; onClose: (created: boolean) => void; customers: Array<{ id: string; name: string }> }) {
  const [name, setName] = useState('');
  const [customerId, setCustomerId] = useState<string | null>(null);
  const [scopes, setScopes] = useState<Scope[]>(['tenant']);
  const [busy, setBusy] = useState(false);
  const [key, setKey] = useState<string | null>(null);
  const f = useFieldErrors(['name', 'customerId', 'scopes']);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    f.clear();
    try {
      const body = { name, scopes, ...(customerId ? { customerId } : {}) };
      setKey(unwrap(await api.POST('/api/v1/api-keys', { body })).data.key);
    } catch (err) {
      f.show(err, 'The key was not created');
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    const created = key !== null;
    setKey(null);
    setName('');
    f.clear();
    onClose(created);
  };

  return (
    <Modal opened={opened} onClose={close} title={key ? 'API key created' : 'New API key'}>
      {key ? (
        <Stack>
          <Alert color="yellow" title="Copy the key now">It is shown only this once: Switchplane keeps only its hash.</Alert>
          <Code block style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }} aria-label="New API key">{key}</Code>
          <Group justify="flex-end">
            <CopyButton value={key}>{({ copied, copy }) => <Button variant="light" onClick={copy}>{copied ? 'Copied' : 'Copy key'}</Button>}</CopyButton>
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit}>
          <Stack>
            <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={f.errors.name} />
            <Select
              label="Customer"
              description="Empty: a platform-wide key (needs the admin scope)"
              clearable
              data={customers.map((c) => ({ value: c.id, label: c.name }))}
              value={customerId}
              onChange={setCustomerId}
              error={f.errors.customerId}
            />
            <Checkbox.Group label="Scopes" value={scopes} onChange={(v) => setScopes(v as Scope[])} error={f.errors.scopes}>
              <Stack gap={6} mt={6}>
                {SCOPES.map((s) => <Checkbox key={s.value} value={s.value} label={s.label} />)}
              </Stack>
            </Checkbox.Group>
            <Text size="xs" c="dimmed">The key is shown once, after it is created.</Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>Cancel</Button>
              <Button type="submit" loading={busy}>Create key</Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
