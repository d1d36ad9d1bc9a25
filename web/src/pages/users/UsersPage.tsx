import { Badge, Button, Group, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { notifyError } from '../../api/field-errors';
import { useSession } from '../../auth/session';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { formatTime } from '../calls/format';
import { LinkModal } from './LinkModal';
import { UserForm, type Role, type UserFields } from './UserForm';

interface User { id: string; email: string; name: string; role: string; extensionId: string | null; status: string; lastLoginAt: string | null }

const STATUS_COLOR: Record<string, string> = { active: 'green', invited: 'blue', disabled: 'gray' };

/**
 * `/users` (customer admins and operators): the customer's people (GET /api/v1/users), invite one
 * (the one-time link shown with a copy button), a reset link, change the role or the linked
 * extension, disable or enable after a confirmation (disabling ends its sessions at once).
 */
export function UsersPage() {
  const { user: me } = useSession();
  const users = useLoad(async () => unwrap(await api.GET('/api/v1/users')).data as User[], []);
  const extensions = useLoad(async () => unwrap(await api.GET('/api/v1/extensions')).data, []);
  const [form, setForm] = useState<{ editing: UserFields | null } | null>(null);
  const [link, setLink] = useState<{ url: string; title: string } | null>(null);
  const [disabling, setDisabling] = useState<User | null>(null);
  const extensionNumber = (id: string | null) => (id ? extensions.data?.find((x) => x.id === id)?.extensionNumber ?? '…' : '—');

  const reset = async (u: User) => {
    try {
      const { link: url } = unwrap(await api.POST('/api/v1/users/{id}/reset', { params: { path: { id: u.id } } })).data;
      setLink({ url, title: `Password link for ${u.email}` });
    } catch (err) {
      notifyError(err, 'No link was made');
    }
  };
  const setStatus = async (u: User, status: 'active' | 'disabled') => {
    try {
      unwrap(await api.PATCH('/api/v1/users/{id}', { params: { path: { id: u.id } }, body: { status } }));
      notifications.show({ color: 'green', message: `${u.email} ${status === 'disabled' ? 'disabled' : 'enabled'}` });
      setDisabling(null);
      users.reload();
    } catch (err) {
      notifyError(err, 'Not changed');
    }
  };
  const rows = users.data ?? [];

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">Users</Title>
        <Button onClick={() => setForm({ editing: null })} disabled={!users.data}>Invite</Button>
      </Group>
      <PageState loading={users.loading} error={users.error} onRetry={users.reload} empty={users.data && rows.length === 0 ? 'Nobody can log in to this customer yet: invite someone.' : undefined} />
      {rows.length > 0 && (
        <Table striped aria-label="Users">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Person</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th visibleFrom="sm">Extension</Table.Th>
              <Table.Th visibleFrom="md">Last login</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>
                  <Text size="sm">{u.name}</Text>
                  <Text size="xs" c="dimmed">{u.email}</Text>
                  <Badge size="xs" variant="light" color={STATUS_COLOR[u.status] ?? 'gray'}>{u.status}</Badge>
                </Table.Td>
                <Table.Td>{u.role}</Table.Td>
                <Table.Td visibleFrom="sm">{extensionNumber(u.extensionId)}</Table.Td>
                <Table.Td visibleFrom="md">{formatTime(u.lastLoginAt)}</Table.Td>
                <Table.Td>
                  {u.id !== me?.id && (
                    <Group gap={6} wrap="wrap">
                      <Button size="xs" variant="light" aria-label={`Edit ${u.email}`} onClick={() => setForm({ editing: { id: u.id, email: u.email, name: u.name, role: u.role as Role, extensionId: u.extensionId } })}>Edit</Button>
                      {u.status !== 'disabled' && <Button size="xs" variant="default" aria-label={`Reset ${u.email}`} onClick={() => void reset(u)}>Reset link</Button>}
                      {u.status === 'disabled'
                        ? <Button size="xs" variant="light" color="green" aria-label={`Enable ${u.email}`} onClick={() => void setStatus(u, 'active')}>Enable</Button>
                        : <Button size="xs" variant="light" color="red" aria-label={`Disable ${u.email}`} onClick={() => setDisabling(u)}>Disable</Button>}
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <UserForm
        opened={form !== null}
        editing={form?.editing ?? null}
        extensions={extensions.data ?? []}
        onClose={() => setForm(null)}
        onDone={(inviteLink) => {
          setForm(null);
          users.reload();
          if (inviteLink) setLink({ url: inviteLink, title: 'Invite link' });
          else notifications.show({ color: 'green', message: 'Saved' });
        }}
      />
      <LinkModal link={link?.url ?? null} title={link?.title ?? ''} onClose={() => setLink(null)} />
      <Modal opened={disabling !== null} onClose={() => setDisabling(null)} title="Disable login">
        <Stack>
          <Text size="sm">Disable <b>{disabling?.email}</b>? Their sessions end at once and they cannot log in until enabled again.</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDisabling(null)}>Cancel</Button>
            <Button color="red" onClick={() => disabling && void setStatus(disabling, 'disabled')}>Disable</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
