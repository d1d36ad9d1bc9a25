import { Button, Card, Collapse, Group, Modal, Stack, Switch, Text, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { notifyError } from '../../api/field-errors';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { formatTime } from '../calls/format';
import { Executions } from './Executions';
import { RecurringCallForm, type Editing } from './RecurringCallForm';
import { describeSchedule } from './schedule';

type Item = Editing & { extensionNumber: string; nextExecution: string | null; lastExecution: string | null };

/** Every extension's recurring calls (GET /api/v1/extensions, then each one's recurring calls), by extension. */
async function loadAll() {
  const extensions = unwrap(await api.GET('/api/v1/extensions')).data;
  const lists = await Promise.all(
    extensions.map(async (x) => unwrap(await api.GET('/api/v1/extensions/{id}/recurring-calls', { params: { path: { id: x.id } } })).data.map((r) => ({ ...r, extensionNumber: x.extensionNumber }))),
  );
  return { extensions, items: lists.flat() as Item[] };
}

/**
 * `/recurring-calls`: the customer's recurring calls (an extension calls a destination every day,
 * week or month), with create, edit, pause/resume (`enabled`), delete after a confirmation and
 * each one's last executions.
 */
export function RecurringCallsPage() {
  const all = useLoad(loadAll, []);
  const [form, setForm] = useState<{ editing: Editing | null } | null>(null);
  const [deleting, setDeleting] = useState<Item | null>(null);
  const [open, setOpen] = useState<string | null>(null);

  const toggle = async (r: Item, enabled: boolean) => {
    try {
      unwrap(await api.PUT('/api/v1/recurring-calls/{id}', { params: { path: { id: r.id } }, body: { enabled } }));
      notifications.show({ color: 'green', message: enabled ? 'Resumed' : 'Paused' });
      all.reload();
    } catch (err) {
      notifyError(err, 'Not changed');
    }
  };
  const remove = async () => {
    if (!deleting) return;
    try {
      unwrap(await api.DELETE('/api/v1/recurring-calls/{id}', { params: { path: { id: deleting.id } } }));
      notifications.show({ color: 'green', message: 'Recurring call deleted' });
      setDeleting(null);
      all.reload();
    } catch (err) {
      notifyError(err, 'Not deleted');
    }
  };
  const items = all.data?.items ?? [];
  const noExtensions = all.data?.extensions.length === 0;

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">Recurring calls</Title>
        <Button onClick={() => setForm({ editing: null })} disabled={!all.data || noExtensions}>New recurring call</Button>
      </Group>
      <PageState
        loading={all.loading}
        error={all.error}
        onRetry={all.reload}
        empty={all.data && items.length === 0 ? (noExtensions ? 'Create an extension first: a recurring call rings one.' : 'No recurring calls yet: an extension can call a number every day, week or month.') : undefined}
      />
      {items.map((r) => (
        <Card key={r.id} withBorder aria-label={`Recurring call ${r.extensionNumber} to ${r.destinationNumber}`}>
          <Group justify="space-between" wrap="wrap" gap="xs">
            <div style={{ minWidth: 0 }}>
              <Text fw={600} style={{ overflowWrap: 'anywhere' }}>{r.extensionNumber} → {r.destinationNumber}</Text>
              <Text size="sm">{describeSchedule(r.schedule)}</Text>
              <Text size="xs" c="dimmed">Next: {r.enabled ? formatTime(r.nextExecution) : 'paused'} · Last: {formatTime(r.lastExecution)}</Text>
            </div>
            <Group gap="xs" wrap="wrap">
              <Switch label="Enabled" checked={r.enabled} onChange={(e) => void toggle(r, e.currentTarget.checked)} />
              <Button size="xs" variant="default" onClick={() => setOpen(open === r.id ? null : r.id)} aria-expanded={open === r.id}>Executions</Button>
              <Button size="xs" variant="light" onClick={() => setForm({ editing: r })}>Edit</Button>
              <Button size="xs" variant="light" color="red" onClick={() => setDeleting(r)}>Delete</Button>
            </Group>
          </Group>
          <Collapse in={open === r.id}>{open === r.id && <Executions id={r.id} />}</Collapse>
        </Card>
      ))}
      <RecurringCallForm
        opened={form !== null}
        editing={form?.editing ?? null}
        extensions={all.data?.extensions ?? []}
        onClose={(saved) => {
          setForm(null);
          if (saved) {
            notifications.show({ color: 'green', message: 'Recurring call saved' });
            all.reload();
          }
        }}
      />
      <Modal opened={deleting !== null} onClose={() => setDeleting(null)} title="Delete recurring call">
        <Stack>
          <Text size="sm">Delete {deleting?.extensionNumber} → {deleting?.destinationNumber} and its history?</Text>
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setDeleting(null)}>Cancel</Button>
            <Button color="red" onClick={remove}>Delete</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
