/**
 * /trunks: the customer's SIP trunks with their live gateway state, "Add a trunk", and per trunk
 * "Test connection" (SIP OPTIONS), "Edit" and "Delete" (after a confirmation). Changes go through
 * the REST API (src/api/trunks.ts); FreeSWITCH picks the gateway up from there.
 */
import { Button, Group, Stack, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { ConfirmDelete } from '../../components/ConfirmDelete';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { useLive } from '../../live/useLive';
import { deleteTrunk, listTrunks, type Trunk } from './trunk-api';
import { TrunkFormModal } from './TrunkFormModal';
import { TrunkTable } from './TrunkTable';
import { TrunkTestModal } from './TrunkTestModal';

/** Which dialog is open: the form (`trunk` null = new), the test, or the delete confirmation. */
type Dialog = { kind: 'form'; trunk: Trunk | null } | { kind: 'test'; trunk: Trunk } | { kind: 'delete'; trunk: Trunk } | null;

export function TrunksPage() {
  const trunks = useLoad(listTrunks, []);
  const { gateways, connected } = useLive();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);

  return (
    <Stack>
      <Group justify="space-between" align="flex-end" wrap="wrap">
        <div>
          <Title order={1}>Trunks</Title>
          <Text c="dimmed" size="sm">Your carriers' SIP trunks: inbound calls to your numbers and outbound calls go through them.</Text>
        </div>
        <Button onClick={() => setDialog({ kind: 'form', trunk: null })}>New trunk</Button>
      </Group>
      <PageState
        loading={trunks.loading}
        error={trunks.error}
        onRetry={trunks.reload}
        empty={trunks.data?.length === 0}
        emptyText="No trunks yet — add your first trunk to connect your carrier."
        action={<Button variant="light" onClick={() => setDialog({ kind: 'form', trunk: null })}>Add your first trunk</Button>}
      >
        {trunks.data && (
          <TrunkTable
            trunks={trunks.data}
            gateways={gateways}
            live={connected}
            onTest={(trunk) => setDialog({ kind: 'test', trunk })}
            onEdit={(trunk) => setDialog({ kind: 'form', trunk })}
            onDelete={(trunk) => setDialog({ kind: 'delete', trunk })}
          />
        )}
      </PageState>
      {dialog?.kind === 'form' && (
        <TrunkFormModal key={dialog.trunk?.id ?? 'new'} trunk={dialog.trunk} onClose={close} onSaved={() => { close(); trunks.reload(); }} />
      )}
      {dialog?.kind === 'test' && <TrunkTestModal trunk={dialog.trunk} onClose={close} />}
      <ConfirmDelete
        opened={dialog?.kind === 'delete'}
        title={dialog?.kind === 'delete' ? `Delete trunk ${dialog.trunk.name}?` : ''}
        onClose={close}
        onConfirm={async () => {
          if (dialog?.kind !== 'delete') return;
          await deleteTrunk(dialog.trunk.id);
          notifications.show({ color: 'green', message: `Trunk ${dialog.trunk.name} deleted` });
          trunks.reload();
        }}
      >
        FreeSWITCH drops its gateway. Numbers on this trunk stay and keep receiving calls routed to them; outbound calls use your other trunks.
      </ConfirmDelete>
    </Stack>
  );
}
