/**
 * The call in progress: the other party, state and timer, the audio packets counted both ways,
 * and the controls: Mute, Hold (a re-INVITE), Keypad (DTMF), Transfer (blind, REFER) and Hang up.
 * Mute and Hold are toggle buttons (aria-pressed).
 */
import { Badge, Button, Card, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { DialPad } from './DialPad';
import type { CallView, MediaCounts } from './softphone';
import { formatDuration, useElapsed } from './useSoftphone';

export interface CallControls {
  onHangup(): void;
  onMute(): void;
  onHold(): void;
  onDtmf(tone: string): void;
  onTransfer(target: string): void;
}

function stateText(call: CallView): string {
  if (call.state === 'calling') return 'Calling…';
  if (call.held) return 'On hold';
  return call.muted ? 'Connected (muted)' : 'Connected';
}

export function CallPanel({ call, counts, controls }: { call: CallView; counts: MediaCounts | null; controls: CallControls }) {
  const elapsed = useElapsed(call.answeredAt);
  const [keypad, setKeypad] = useState(false);
  const [sent, setSent] = useState('');
  const [transferTo, setTransferTo] = useState('');
  const active = call.state === 'active';
  const dtmf = (k: string) => {
    setSent((s) => (s + k).slice(-16));
    controls.onDtmf(k);
  };
  return (
    <Card withBorder padding="lg" maw={360}>
      <Stack gap="sm">
        <Group justify="space-between" wrap="nowrap">
          <Title order={2} size="h3">{call.remote}</Title>
          <Text ff="monospace" aria-label="Call time">{formatDuration(elapsed)}</Text>
        </Group>
        {call.remoteName && call.remoteName !== call.remote && <Text c="dimmed">{call.remoteName}</Text>}
        <Group gap="xs">
          <Badge color={call.held ? 'yellow' : active ? 'green' : 'blue'} variant="light" role="status">{stateText(call)}</Badge>
          <Text size="xs" c="dimmed">{call.direction === 'outgoing' ? 'Outgoing' : 'Incoming'}</Text>
        </Group>
        {counts && (
          <Text size="xs" c="dimmed" data-testid="media-counts" data-received={counts.packetsReceived} data-sent={counts.packetsSent}>
            Audio packets received {counts.packetsReceived}, sent {counts.packetsSent}
          </Text>
        )}
        <Group grow gap="xs">
          <Button variant={call.muted ? 'filled' : 'default'} aria-pressed={call.muted} disabled={!active} onClick={controls.onMute}>
            {call.muted ? 'Unmute' : 'Mute'}
          </Button>
          <Button variant={call.held ? 'filled' : 'default'} color="yellow" aria-pressed={call.held} disabled={!active} onClick={controls.onHold}>
            {call.held ? 'Resume' : 'Hold'}
          </Button>
          <Button variant={keypad ? 'filled' : 'default'} aria-pressed={keypad} disabled={!active} onClick={() => setKeypad((k) => !k)}>
            Keypad
          </Button>
        </Group>
        {keypad && active && (
          <Stack gap="xs">
            <DialPad onKey={dtmf} />
            <Text size="xs" c="dimmed" aria-live="polite">Tones sent: {sent || 'none'}</Text>
          </Stack>
        )}
        <Group gap="xs" align="flex-end" wrap="nowrap">
          <TextInput
            label="Transfer to"
            placeholder="Extension or number"
            inputMode="tel"
            style={{ flex: 1 }}
            value={transferTo}
            disabled={!active}
            onChange={(e) => setTransferTo(e.currentTarget.value.replace(/[^0-9*#+]/g, ''))}
            onKeyDown={(e) => e.key === 'Enter' && transferTo && controls.onTransfer(transferTo)}
          />
          <Button variant="default" disabled={!active || !transferTo} onClick={() => controls.onTransfer(transferTo)}>Transfer</Button>
        </Group>
        <Button color="red" size="md" onClick={controls.onHangup}>Hang up</Button>
      </Stack>
    </Card>
  );
}
