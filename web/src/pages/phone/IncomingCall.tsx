/** A ringing incoming call: who calls, Answer (focused, so Enter answers) and Decline. */
import { Button, Card, Group, Stack, Text, Title } from '@mantine/core';
import type { CallView } from './softphone';

export function IncomingCall({ call, onAnswer, onDecline }: { call: CallView; onAnswer(): void; onDecline(): void }) {
  return (
    <Card withBorder padding="lg" maw={360} role="alertdialog" aria-labelledby="incoming-call-title">
      <Stack gap="sm">
        <Title order={2} size="h3" id="incoming-call-title">Incoming call</Title>
        <Text size="lg">
          from <strong>{call.remote}</strong>
          {call.remoteName && call.remoteName !== call.remote ? ` (${call.remoteName})` : ''}
        </Text>
        <Group grow>
          <Button color="green" autoFocus onClick={onAnswer}>Answer</Button>
          <Button color="red" variant="light" onClick={onDecline}>Decline</Button>
        </Group>
      </Stack>
    </Card>
  );
}
