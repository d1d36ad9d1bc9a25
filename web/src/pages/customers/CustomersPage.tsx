import { Badge, Button, Group, Stack, Table, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { chooseTenant, useChosenTenant } from '../../api/tenant';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { CustomerForm, type CustomerFields } from './CustomerForm';

const STATUS_COLOR: Record<string, string> = { active: 'green', suspended: 'orange', inactive: 'gray' };

/**
 * `/customers` (operators): every customer (GET /api/v1/customers), create and edit, and Open,
 * which makes it the customer the other pages act on (the header's picker) and goes to its
 * dashboard.
 */
export function CustomersPage() {
  const customers = useLoad(async () => unwrap(await api.GET('/api/v1/customers')).data, []);
  const [form, setForm] = useState<{ editing: CustomerFields | null } | null>(null);
  const chosen = useChosenTenant();
  const navigate = useNavigate();
  const rows = customers.data ?? [];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">Customers</Title>
        <Button onClick={() => setForm({ editing: null })}>New customer</Button>
      </Group>
      <PageState loading={customers.loading} error={customers.error} onRetry={customers.reload} empty={customers.data && rows.length === 0 ? 'No customers yet.' : undefined} />
      {rows.length > 0 && (
        <Table striped aria-label="Customers">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th visibleFrom="sm">SIP domain</Table.Th>
              <Table.Th visibleFrom="md">Time zone</Table.Th>
              <Table.Th visibleFrom="sm">Status</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>
                  {c.name}
                  {c.id === chosen && <Badge ml="xs" size="xs">open</Badge>}
                </Table.Td>
                <Table.Td visibleFrom="sm" style={{ overflowWrap: 'anywhere' }}>{c.sipDomain}</Table.Td>
                <Table.Td visibleFrom="md">{c.timezone}</Table.Td>
                <Table.Td visibleFrom="sm"><Badge variant="light" color={STATUS_COLOR[c.status]}>{c.status}</Badge></Table.Td>
                <Table.Td>
                  <Group gap={6} wrap="wrap">
                    <Button size="xs" onClick={() => { chooseTenant(c.id); navigate('/'); }} aria-label={`Open ${c.name}`}>Open</Button>
                    <Button size="xs" variant="light" onClick={() => setForm({ editing: c })} aria-label={`Edit ${c.name}`}>Edit</Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <CustomerForm
        opened={form !== null}
        editing={form?.editing ?? null}
        onClose={(saved) => {
          setForm(null);
          if (saved) {
            notifications.show({ color: 'green', message: 'Customer saved' });
            customers.reload();
          }
        }}
      />
    </Stack>
  );
}
