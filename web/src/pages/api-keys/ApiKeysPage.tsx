import { Badge, Button, Group, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { notifyError } from '../../api/field-errors';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { formatTime } from '../calls/format';
import { CreateKeyModal } from './CreateKeyModal';

/**
 * `/api-keys`: the API keys (GET /api/v1/api-keys; never a key or its hash), a new one (shown
 * once), and revoking one after a confirmation (DELETE /api/v1/api-keys/{id}): it stops working at
 * once. The API lets operators manage keys; anyone else sees its refusal.
 */
export function ApiKeysPage() {
  const keys = useLoad(async () => unwrap(await api.GET('/api/v1/api-keys')).data, []);
  const customers = useLoad(async () => unwrap(await api.GET('/api/v1/customers')).data, []);
  const [creating, setCreating] = useState(false);
  const [revoking, setRevoking] = useState<Schemas['ApiKey'] | null>(null);
  const [busy, setBusy] = useState(false);
  const customerName = (id: string | null) => (id ? customers.data?.find((c) => c.id === id)?.name ?? id : 'all customers');

  const revoke = async () => {
    if (!revoking) return;
    setBusy(true);
    try {
      unwrap(await api.DELETE('/api/v1/api-keys/{id}', { params: { path: { id: revoking.id } } }));
      notifications.show({ color: 'green', message: `Key ${revoking.prefix} revoked` });
      setRevoking(null);
      keys.reload();
    } catch (err) {
      notifyError(err, 'The key was not revoked');
    } finally {
      setBusy(false);
    }
  };
  const rows = keys.data ?? [];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">API keys</Title>
        <Button onClick={() => setCreating(true)} disabled={!keys.data}>New API key</Button>
      </Group>
      <PageState loading={keys.loading} error={keys.error} onRetry={keys.reload} empty={keys.data && rows.length === 0 ? 'No API keys yet.' : undefined} />
      {rows.length > 0 && (
        <Table striped aria-label="API keys">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th visibleFrom="sm">Prefix</Table.Th>
              <Table.Th visibleFrom="md">Customer</Table.Th>
              <Table.Th visibleFrom="md">Scopes</Table.Th>
              <Table.Th visibleFrom="sm">Last used</Table.Th>
              <Table.Th>State</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((k) => (
              <Table.Tr key={k.id}>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{k.name}</Table.Td>
                <Table.Td visibleFrom="sm"><code>{k.prefix}</code></Table.Td>
                <Table.Td visibleFrom="md">{customerName(k.customerId)}</Table.Td>
                <Table.Td visibleFrom="md">{k.scopes.join(', ')}</Table.Td>
                <Table.Td visibleFrom="sm">{formatTime(k.lastUsedAt)}</Table.Td>
                <Table.Td>
                  {k.revokedAt ? (
                    <Badge color="gray" variant="light">revoked</Badge>
                  ) : (
                    <Button size="xs" color="red" variant="light" onClick={() => setRevoking(k)} aria-label={`Revoke ${k.name}`}>Revoke</Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <CreateKeyModal opened={creating} customers={customers.data ?? []} onClose={(created) => { setCreating(false); if (created) keys.reload(); }} />
      <Modal opened={revoking !== null} onClose={() => setRevoking(null)} title="Revoke API key">
        <Stack>
          <Text size="sm">Revoke <b>{revoking?.name}</b> ({revoking?.prefix})? Every request with it is refused from now on; this cannot be undone.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setRevoking(null)}>Cancel</Button>
            <Button color="red" loading={busy} onClick={revoke}>Revoke key</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
