import { Button, Group, Modal, Select, Stack, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { useFieldErrors } from '../../api/field-errors';

export type Role = 'admin' | 'agent';
export interface UserFields { id?: string; email: string; name: string; role: Role; extensionId: string | null }
interface ExtensionOption { id: string; extensionNumber: string; displayName: string | null }

const ROLES = [
  { value: 'admin', label: 'Admin — the whole customer' },
  { value: 'agent', label: 'Agent — own extension, own calls, the softphone' },
];

/**
 * Invite a person (POST /api/v1/users → the one-time invite link) or change one (PATCH
 * /api/v1/users/{id}: name, role, linked extension). The API's field errors show at their fields.
 * @param onDone the invite link after an invite, null after an edit; not called on cancel
 */
export function UserForm({ editing, opened, extensions, onClose, onDone }: {
  editing: UserFields | null; opened: boolean; extensions: ExtensionOption[]; onClose: () => void; onDone: (inviteLink: string | null) => void;
}) {
  const [v, setV] = useState<UserFields>({ email: '', name: '', role: 'agent', extensionId: null });
  const [busy, setBusy] = useState(false);
  const f = useFieldErrors(['email', 'name', 'role', 'extensionId']);
  useEffect(() => {
    if (opened) {
      setV(editing ?? { email: '', name: '', role: 'agent', extensionId: null });
      f.clear();
    }
  }, [opened, editing]); // eslint-disable-line react-hooks/exhaustive-deps

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    f.clear();
    try {
      if (editing?.id) {
        unwrap(await api.PATCH('/api/v1/users/{id}', { params: { path: { id: editing.id } }, body: { name: v.name, role: v.role, extensionId: v.extensionId } }));
        onDone(null);
      } else {
        const created = unwrap(await api.POST('/api/v1/users', { body: { email: v.email, name: v.name, role: v.role, ...(v.extensionId ? { extensionId: v.extensionId } : {}) } })).data;
        onDone(created.inviteLink);
      }
    } catch (err) {
      f.show(err, editing ? 'The change was not saved' : 'The invite was not sent');
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={editing ? `Edit ${editing.email}` : 'Invite a person'}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput label="Email" type="email" required disabled={Boolean(editing)} value={v.email} onChange={(e) => setV({ ...v, email: e.currentTarget.value })} error={f.errors.email} />
          <TextInput label="Name" required value={v.name} onChange={(e) => setV({ ...v, name: e.currentTarget.value })} error={f.errors.name} />
          <Select label="Role" required allowDeselect={false} data={ROLES} value={v.role} onChange={(r) => setV({ ...v, role: (r ?? 'agent') as Role })} error={f.errors.role} />
          <Select
            label="Linked extension"
            description="The extension an agent uses, and the softphone's"
            clearable
            searchable
            data={extensions.map((x) => ({ value: x.id, label: x.displayName ? `${x.extensionNumber} — ${x.displayName}` : x.extensionNumber }))}
            value={v.extensionId}
            onChange={(x) => setV({ ...v, extensionId: x })}
            error={f.errors.extensionId}
          />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={busy}>{editing ? 'Save' : 'Invite'}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
