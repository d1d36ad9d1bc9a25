/**
 * The twelve keys of a phone (1–9, *, 0, #), each a button named "Key 5" etc. for screen readers
 * and tests. `onKey` gets the key's character. Used to type a number and, in a call, to send DTMF.
 */
import { Button, SimpleGrid, Stack, Text } from '@mantine/core';

const KEYS: ReadonlyArray<[string, string]> = [
  ['1', ''], ['2', 'ABC'], ['3', 'DEF'],
  ['4', 'GHI'], ['5', 'JKL'], ['6', 'MNO'],
  ['7', 'PQRS'], ['8', 'TUV'], ['9', 'WXYZ'],
  ['*', ''], ['0', '+'], ['#', ''],
];

export function DialPad({ onKey, disabled }: { onKey(key: string): void; disabled?: boolean }) {
  return (
    <SimpleGrid cols={3} spacing="xs" maw={300}>
      {KEYS.map(([key, letters]) => (
        <Button key={key} variant="default" h={52} disabled={disabled} aria-label={`Key ${key}`} onClick={() => onKey(key)}>
          <Stack gap={0} align="center">
            <Text fw={600} size="lg" lh={1.1}>{key}</Text>
            <Text size="9px" c="dimmed" lh={1}>{letters || '\u00a0'}</Text>
          </Stack>
        </Button>
      ))}
    </SimpleGrid>
  );
}
