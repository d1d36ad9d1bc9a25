import { Alert, Button, Code, Group, Modal, Select, Stack, Text, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, unwrap, type Schemas } from '../../api/client';
import { useFieldErrors } from '../../api/field-errors';
import { useLoad } from '../../hooks/useLoad';
import { formatTime } from './format';

/**
 * Click-to-call (POST /api/v1/calls `{ extension, destination }`): the extension's phone rings
 * first, and once answered FreeSWITCH connects it to the destination. Shows the call the API
 * accepted (its id and state); the API's error appears at its field, or as a notification
 * (e.g. 503 when no FreeSWITCH event socket is connected).
 */
export function ClickToCall({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const extensions = useLoad(async () => (opened ? unwrap(await api.GET('/api/v1/extensions')).data : []), [opened]);
  const [extension, setExtension] = useState<string | null>(null);
  const [destination, setDestination] = useState('');
  const [busy, setBusy] = useState(false);
  const [call, setCall] = useState<Schemas['Call'] | null>(null);
  const f = useFieldErrors(['extension', 'destination']);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    f.clear();
    setCall(null);
    try {
      setCall(unwrap(await api.POST('/api/v1/calls', { body: { extension: extension ?? '', destination } })).data);
    } catch (err) {
      f.show(err, 'The call was not placed');
    } finally {
      setBusy(false);
    }
  };
  const close = () => {
    setCall(null);
    f.clear();
    onClose();
  };

  return (
    <Modal opened={opened} onClose={close} title="Click-to-call">
      <form onSubmit={submit}>
        <Stack>
          <Text size="sm" c="dimmed">The extension's phone rings first; when it answers, the call goes to the destination.</Text>
          <Select
            label="From extension"
            required
            searchable
            data={(extensions.data ?? []).map((x) => ({ value: x.extensionNumber, label: x.displayName ? `${x.extensionNumber} — ${x.displayName}` : x.extensionNumber }))}
            value={extension}
            onChange={setExtension}
            error={f.errors.extension}
          />
          <TextInput
            label="Destination"
            required
            inputMode="tel"
            placeholder="+390212345678 or 1002"
            value={destination}
            onChange={(e) => setDestination(e.currentTarget.value)}
            error={f.errors.destination}
          />
          {call && (
            <Alert color="green" title="Call placed" role="status">
              <Text size="sm">Extension {call.extension} is ringing, then {call.destination}. State: <b>{call.state}</b> at {formatTime(call.createdAt)}.</Text>
              <Text size="sm" style={{ overflowWrap: 'anywhere' }}>Call id <Code>{call.callId}</Code></Text>
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>Close</Button>
            <Button type="submit" loading={busy}>Call</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
