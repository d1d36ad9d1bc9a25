import { Anchor, Badge, Table, Text } from '@mantine/core';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { formatTime, orDash } from '../calls/format';

const OUTCOME_COLOR: Record<string, string> = { answered: 'green', originated: 'blue', claimed: 'blue', no_answer: 'yellow', busy: 'orange', failed: 'red', cancelled: 'gray', skipped: 'gray' };

/** The last executions of a recurring call (GET /api/v1/recurring-calls/{id}/executions), newest first, each linking to its call. */
export function Executions({ id }: { id: string }) {
  const runs = useLoad(async () => unwrap(await api.GET('/api/v1/recurring-calls/{id}/executions', { params: { path: { id }, query: { limit: 10 } } })).data, [id]);
  const rows = runs.data ?? [];
  if (rows.length === 0) return <PageState loading={runs.loading} error={runs.error} onRetry={runs.reload} empty={runs.data ? 'Not run yet.' : undefined} />;
  return (
      <Table aria-label="Executions">
        <Table.Thead>
          <Table.Tr><Table.Th>Scheduled</Table.Th><Table.Th>Outcome</Table.Th><Table.Th visibleFrom="sm">Hangup cause</Table.Th></Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((x) => (
            <Table.Tr key={x.id}>
              <Table.Td>{x.cdrId ? <Anchor component={Link} to={`/calls/${x.cdrId}`}>{formatTime(x.scheduledFor)}</Anchor> : formatTime(x.scheduledFor)}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={OUTCOME_COLOR[x.outcome] ?? 'gray'}>{x.outcome.replace('_', ' ')}</Badge>
                {x.error && <Text size="xs" c="red">{x.error}</Text>}
              </Table.Td>
              <Table.Td visibleFrom="sm">{orDash(x.hangupCause)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
  );
}
