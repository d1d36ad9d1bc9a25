/**
 * Idle phone: the number field ("Number to call", digits, *, # and +; Enter calls), the dial pad
 * and the Call button, enabled once registered.
 */
import { ActionIcon, Button, Group, Stack, TextInput } from '@mantine/core';
import { useState } from 'react';
import { DialPad } from './DialPad';

const ALLOWED = /[^0-9*#+]/g;

export function Dialer({ canCall, onCall }: { canCall: boolean; onCall(target: string): void }) {
  const [number, setNumber] = useState('');
  const call = () => {
    if (canCall && number) onCall(number);
  };
  return (
    <Stack gap="sm" maw={300}>
      <TextInput
        label="Number to call"
        placeholder="Extension or +number"
        inputMode="tel"
        autoComplete="off"
        value={number}
        onChange={(e) => setNumber(e.currentTarget.value.replace(ALLOWED, ''))}
        onKeyDown={(e) => e.key === 'Enter' && call()}
        rightSection={
          number ? (
            <ActionIcon variant="subtle" aria-label="Delete last digit" onClick={() => setNumber((n) => n.slice(0, -1))}>⌫</ActionIcon>
          ) : null
        }
      />
      <DialPad onKey={(k) => setNumber((n) => n + k)} />
      <Group grow>
        <Button color="green" size="md" disabled={!canCall || !number} onClick={call}>Call</Button>
      </Group>
    </Stack>
  );
}
