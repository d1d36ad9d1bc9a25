/**
 * Calls in progress, pushed by the live stream (useLive; no polling): who calls whom, the state and
 * how long since it started (counted in the page, second by second).
 */
import { Badge, Paper, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { PageState } from '../../components/PageState';
import { liveState, useLive, type ActiveCall } from '../../live/useLive';
import { clock } from './format';

const STATE_COLORS: Record<ActiveCall['state'], string> = {
  originating: 'gray', ringing: 'yellow', answered: 'teal', bridged: 'teal', ended: 'gray', failed: 'red',
};

function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [active]);
  return now;
}

export function LiveCalls() {
  const live = useLive();
  const { calls, loaded } = live;
  const now = useNow(calls.length > 0);
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={3} size="h4" mb="sm">Calls in progress {loaded && <Badge ml={4} variant="light">{calls.length}</Badge>}</Title>
      <PageState {...liveState(live)} empty={calls.length === 0} emptyText="No calls right now.">
        <Table.ScrollContainer minWidth={0}>
          <Table verticalSpacing="xs" aria-label="Calls in progress">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>From</Table.Th>
                <Table.Th>To</Table.Th>
                <Table.Th>State</Table.Th>
                <Table.Th ta="right">Time</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {calls.map((c) => (
                <Table.Tr key={c.callId}>
                  <Table.Td><Text size="sm" style={{ wordBreak: 'break-all' }}>{c.callerNumber ?? c.extension ?? '—'}</Text></Table.Td>
                  <Table.Td><Text size="sm" style={{ wordBreak: 'break-all' }}>{c.destination ?? '—'}</Text></Table.Td>
                  <Table.Td><Badge color={STATE_COLORS[c.state]} variant="light">{c.state}</Badge></Table.Td>
                  <Table.Td ta="right"><Text size="sm" ff="monospace">{clock((now - Date.parse(c.answeredAt ?? c.createdAt)) / 1000)}</Text></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      </PageState>
    </Paper>
  );
}
