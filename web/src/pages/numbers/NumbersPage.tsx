/**
 * /numbers: the customer's phone numbers (DIDs) and where their calls go, "Add a number", and
 * per number "Edit" and "Delete" (after a confirmation). Business hours are judged in the
 * customer's time zone, read from the customer record. Changes go through the REST API
 * (src/api/phone-numbers.ts).
 */
import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import { PageState } from '../../components/PageState';
import { useChosenTenant } from '../../api/tenant';
import { useSession } from '../../auth/session';
import { useLoad } from '../../hooks/useLoad';
import { listExtensions } from '../extensions/extension-api';
import { listTrunks } from '../trunks/trunk-api';
import { customerTimeZone } from './customer-zone';
import { deleteNumber, listNumbers, type PhoneNumber } from './number-api';
import { NumberFormModal } from './NumberFormModal';
import { NumberTable } from './NumberTable';

type Dialog = { kind: 'form'; number: PhoneNumber | null } | { kind: 'delete'; number: PhoneNumber } | null;

/** Everything the page shows, loaded together; `customerId` is the customer whose time zone judges business hours. */
async function loadAll(customerId: string | null) {
  const [numbers, trunks, extensions, timeZone] = await Promise.all([listNumbers(), listTrunks(), listExtensions(), customerTimeZone(customerId)]);
  return { numbers, trunks, extensions, timeZone };
}

export function NumbersPage() {
  const { user } = useSession();
  const chosen = useChosenTenant();
  const customerId = user?.role === 'operator' ? chosen : user?.tenantId ?? null;
  const page = useLoad(() => loadAll(customerId), [customerId]);
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  const d = page.data;

  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <div>
          <Title order={1}>Numbers</Title>
          <Text c="dimmed" size="sm">Your phone numbers and where their calls go{d ? ` (time zone ${d.timeZone})` : ''}.</Text>
        </div>
        <Button onClick={() => setDialog({ kind: 'form', number: null })} disabled={!d}>New number</Button>
      </Group>
      <PageState
        loading={page.loading}
        error={page.error}
        onRetry={page.reload}
        empty={d?.numbers.length === 0}
        emptyText="No numbers yet — add your first number and choose where its calls go."
        action={<Button variant="light" onClick={() => setDialog({ kind: 'form', number: null })}>Add your first number</Button>}
      >
        {d && (
          <NumberTable numbers={d.numbers} trunks={d.trunks} timeZone={d.timeZone}
            onEdit={(number) => setDialog({ kind: 'form', number })} onDelete={(number) => setDialog({ kind: 'delete', number })} />
        )}
      </PageState>
      {d && dialog?.kind === 'form' && (
        <NumberFormModal key={dialog.number?.id ?? 'new'} number={dialog.number} trunks={d.trunks} extensions={d.extensions}
          timeZone={d.timeZone} onClose={close} onSaved={page.reload} />
      )}
      <ConfirmDelete
        opened={dialog?.kind === 'delete'}
        title={dialog?.kind === 'delete' ? `Delete number ${dialog.number.number}?` : ''}
        onClose={close}
        onConfirm={async () => {
          if (dialog?.kind !== 'delete') return;
          await deleteNumber(dialog.number.id);
          notifications.show({ color: 'green', message: `Number ${dialog.number.number} deleted` });
          page.reload();
        }}
      >
        Calls to this number are refused from then on.
      </ConfirmDelete>
    </Stack>
  );
}
