/**
 * Microphone and speaker choice (Mantine selects labelled "Microphone" and "Speaker"); the
 * browser's default when nothing is chosen. The speaker select is left out where the browser
 * cannot route audio to a chosen output.
 */
import { Select, Stack, Title } from '@mantine/core';
import { useState } from 'react';
import type { Softphone } from './softphone';
import { useAudioDevices } from './useAudioDevices';

export function DeviceSettings({ phone, refreshKey }: { phone: Softphone | undefined; refreshKey: unknown }) {
  const { microphones, speakers } = useAudioDevices(refreshKey);
  const [microphone, setMicrophone] = useState<string | null>(null);
  const [speaker, setSpeaker] = useState<string | null>(null);
  const options = (list: Array<{ deviceId: string; label: string }>) => list.map((d) => ({ value: d.deviceId, label: d.label }));
  return (
    <Stack gap="xs" maw={360}>
      <Title order={2} size="h5">Audio devices</Title>
      <Select
        label="Microphone"
        placeholder="Browser default"
        data={options(microphones)}
        value={microphone}
        clearable
        allowDeselect
        onChange={(v) => {
          setMicrophone(v);
          void phone?.setMicrophone(v ?? '');
        }}
      />
      {speakers.length > 0 && (
        <Select
          label="Speaker"
          placeholder="Browser default"
          data={options(speakers)}
          value={speaker}
          clearable
          onChange={(v) => {
            setSpeaker(v);
            void phone?.setSpeaker(v ?? '');
          }}
        />
      )}
    </Stack>
  );
}
