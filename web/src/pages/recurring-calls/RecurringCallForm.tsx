import { Button, Group, Modal, NumberInput, Select, Stack, Switch, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { useFieldErrors } from '../../api/field-errors';
import { FREQUENCIES, scheduleBody, WEEKDAYS, type Frequency, type Schedule } from './schedule';

export interface Editing { id: string; extensionId: string; destinationNumber: string; schedule: Schedule; enabled: boolean }
interface ExtensionOption { id: string; extensionNumber: string }

const EMPTY: Schedule = { frequency: 'daily', time: '09:00' };

/**
 * Create (POST /api/v1/extensions/{id}/recurring-calls) or edit (PUT /api/v1/recurring-calls/{id})
 * a recurring call; the API's field errors (`destinationNumber`, `schedule.time`,
 * `schedule.timezone`, ...) show at their fields.
 */
export function RecurringCallForm({ editing, extensions, opened, onClose }: { editing: Editing | null; extensions: ExtensionOption[]; opened: boolean; onClose: (saved: boolean) => void }) {
  const [extensionId, setExtensionId] = useState<string | null>(null);
  const [destination, setDestination] = useState('');
  const [schedule, setSchedule] = useState<Schedule>(EMPTY);
  const [enabled, setEnabled] = useState(true);
  const [busy, setBusy] = useState(false);
  const f = useFieldErrors(['id', 'destinationNumber', 'schedule.frequency', 'schedule.dayOfWeek', 'schedule.dayOfMonth', 'schedule.time', 'schedule.timezone', 'enabled']);
  useEffect(() => {
    if (!opened) return;
    setExtensionId(editing?.extensionId ?? null);
    setDestination(editing?.destinationNumber ?? '');
    setSchedule(editing?.schedule ?? EMPTY);
    setEnabled(editing?.enabled ?? true);
    f.clear();
  }, [opened, editing]); // eslint-disable-line react-hooks/exhaustive-deps
  const set = (patch: Partial<Schedule>) => setSchedule((s) => ({ ...s, ...patch }));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    f.clear();
    try {
      const body = { destinationNumber: destination, schedule: scheduleBody(schedule), enabled };
      if (editing) unwrap(await api.PUT('/api/v1/recurring-calls/{id}', { params: { path: { id: editing.id } }, body }));
      else unwrap(await api.POST('/api/v1/extensions/{id}/recurring-calls', { params: { path: { id: extensionId ?? '' } }, body }));
      onClose(true);
    } catch (err) {
      f.show(err, 'The recurring call was not saved');
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal opened={opened} onClose={() => onClose(false)} title={editing ? 'Edit recurring call' : 'New recurring call'}>
      <form onSubmit={submit}>
        <Stack>
          <Select
            label="Extension"
            description="Its phone rings first, then the destination is called"
            required
            disabled={editing !== null}
            data={extensions.map((x) => ({ value: x.id, label: x.extensionNumber }))}
            value={extensionId}
            onChange={setExtensionId}
            error={f.errors['id']}
          />
          <TextInput label="Destination" required inputMode="tel" placeholder="+12125551234 or 1002" value={destination} onChange={(e) => setDestination(e.currentTarget.value)} error={f.errors['destinationNumber']} />
          <Select label="Frequency" required allowDeselect={false} data={[...FREQUENCIES]} value={schedule.frequency} onChange={(v) => set({ frequency: (v ?? 'daily') as Frequency })} error={f.errors['schedule.frequency']} />
          {schedule.frequency === 'weekly' && (
            <Select label="Day of week" required allowDeselect={false} data={WEEKDAYS.map((d, i) => ({ value: String(i), label: d }))} value={String(schedule.dayOfWeek ?? 1)} onChange={(v) => set({ dayOfWeek: Number(v ?? 1) })} error={f.errors['schedule.dayOfWeek']} />
          )}
          {schedule.frequency === 'monthly' && (
            <NumberInput label="Day of month" description="In a shorter month, its last day" required min={1} max={31} value={schedule.dayOfMonth ?? 1} onChange={(v) => set({ dayOfMonth: Number(v) || 1 })} error={f.errors['schedule.dayOfMonth']} />
          )}
          <TextInput type="time" label="Time" required value={schedule.time} onChange={(e) => set({ time: e.currentTarget.value.slice(0, 5) })} error={f.errors['schedule.time']} />
          <TextInput label="Time zone" description="IANA, e.g. Europe/Rome; empty: the customer's" value={schedule.timezone ?? ''} onChange={(e) => set({ timezone: e.currentTarget.value.trim() })} error={f.errors['schedule.timezone']} />
          <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => onClose(false)}>Cancel</Button>
            <Button type="submit" loading={busy}>Save</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
