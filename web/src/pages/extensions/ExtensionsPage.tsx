/**
 * /extensions: the customer's extensions with their live registration. Admins and operators
 * create them ("New extension"; the SIP credentials are shown once), edit their features, read
 * their credentials ("Show credentials") and delete them after a confirmation. An agent sees its
 * own extension only ("My extension") and may switch its do not disturb. Changes go through the
 * REST API (src/api/extensions.ts).
 */
import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { notifyError } from '../../api/field-errors';
import { useSession } from '../../auth/session';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { useLive } from '../../live/useLive';
import { CredentialsModal } from './CredentialsModal';
import { deleteExtension, extensionCredentials, listExtensions, updateExtension, type Extension, type SipCredentials } from './extension-api';
import { ExtensionFormModal } from './ExtensionFormModal';
import { ExtensionTable } from './ExtensionTable';

type Dialog =
  | { kind: 'form'; extension: Extension | null }
  | { kind: 'credentials'; credentials: SipCredentials; created: boolean }
  | { kind: 'delete'; extension: Extension }
  | null;

export function ExtensionsPage() {
  const { user } = useSession();
  const manage = user?.role === 'admin' || user?.role === 'operator';
  const list = useLoad(listExtensions, []);
  const { registrations, loaded } = useLive();
  const [dialog, setDialog] = useState<Dialog>(null);
  const [savingDnd, setSavingDnd] = useState<string | null>(null);
  const close = () => setDialog(null);

  const setDnd = async (e: Extension, on: boolean) => {
    setSavingDnd(e.id);
    try {
      await updateExtension(e.id, { doNotDisturb: on });
      notifications.show({ color: 'green', message: `Do not disturb ${on ? 'on' : 'off'} for ${e.extensionNumber}` });
      list.reload();
    } catch (err) {
      notifyError(err, 'Do not disturb was not changed');
    } finally {
      setSavingDnd(null);
    }
  };
  const showCredentials = async (e: Extension) => {
    try {
      setDialog({ kind: 'credentials', credentials: await extensionCredentials(e.id), created: false });
    } catch (err) {
      notifyError(err, 'The credentials could not be read');
    }
  };

  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <div>
          <Title order={1}>{manage ? 'Extensions' : 'My extension'}</Title>
          <Text c="dimmed" size="sm">{manage ? 'The phones of your company: each extension is a SIP account a phone registers with.' : 'Your extension and whether your phone is registered.'}</Text>
        </div>
        {manage && <Button onClick={() => setDialog({ kind: 'form', extension: null })}>New extension</Button>}
      </Group>
      <PageState
        loading={list.loading}
        error={list.error}
        onRetry={list.reload}
        empty={list.data?.length === 0}
        emptyText={manage ? 'No extensions yet — add your first extension and register a phone with its credentials.' : 'No extension is linked to your login.'}
        action={manage && <Button variant="light" onClick={() => setDialog({ kind: 'form', extension: null })}>Add your first extension</Button>}
      >
        {list.data && (
          <ExtensionTable extensions={list.data} registrations={registrations} live={loaded} manage={manage} savingDnd={savingDnd}
            onDnd={(e, on) => void setDnd(e, on)} onEdit={(extension) => setDialog({ kind: 'form', extension })}
            onCredentials={(e) => void showCredentials(e)} onDelete={(extension) => setDialog({ kind: 'delete', extension })} />
        )}
      </PageState>
      {dialog?.kind === 'form' && (
        <ExtensionFormModal key={dialog.extension?.id ?? 'new'} extension={dialog.extension} onClose={close}
          onSaved={() => { if (dialog.extension) close(); list.reload(); }}
          onCreated={(credentials) => setDialog({ kind: 'credentials', credentials, created: true })} />
      )}
      {dialog?.kind === 'credentials' && <CredentialsModal credentials={dialog.credentials} created={dialog.created} onClose={close} />}
      <ConfirmDelete
        opened={dialog?.kind === 'delete'}
        title={dialog?.kind === 'delete' ? `Delete extension ${dialog.extension.extensionNumber}?` : ''}
        onClose={close}
        onConfirm={async () => {
          if (dialog?.kind !== 'delete') return;
          await deleteExtension(dialog.extension.id);
          notifications.show({ color: 'green', message: `Extension ${dialog.extension.extensionNumber} deleted` });
          list.reload();
        }}
      >
        Its phones can no longer register, and calls to it fail. Numbers routed to it need another route.
      </ConfirmDelete>
    </Stack>
  );
}
