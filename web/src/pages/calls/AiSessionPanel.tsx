import { Badge, Card, Code, Group, Stack, Table, Text, Timeline, Title } from '@mantine/core';
import { api, unwrap } from '../../api/client';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { formatDuration, formatTime, orDash } from './format';

/**
 * A transcript line as stored: the agent's `{ role: 'caller' | 'agent', text, at, interrupted?,
 * heardMs? }` (src/media/agent-session-log.ts), or the W3 Suite shape `{ role: 'user' | 'assistant', text, timestamp }`.
 */
interface Turn { role?: string; text?: string; at?: string; timestamp?: string; interrupted?: boolean; heardMs?: number }
/** An action the agent ran (a tool: ticket, transfer, failover), as stored. */
interface Action { action?: string; timestamp?: string; params?: unknown; result?: unknown }

const SENTIMENT_COLOR: Record<string, string> = { positive: 'green', neutral: 'gray', negative: 'red' };
const asObject = <T,>(v: unknown): T => (v && typeof v === 'object' ? v : {}) as T;
const SPEAKER: Record<string, string> = { agent: 'Agent', assistant: 'Agent', caller: 'Caller', user: 'Caller' };
const isAgent = (t: Turn) => SPEAKER[t.role ?? ''] === 'Agent';
const json = (v: unknown) => (v === undefined || v === null ? '' : JSON.stringify(v));

/**
 * The AI voice agent session of a call (GET /api/v1/ai-sessions/{id}): sentiment and score, the
 * transfer or failure, the transcript (speaker, time, text; an agent line the caller cut off is
 * marked) and the actions the agent ran with their parameters and results.
 */
export function AiSessionPanel({ sessionId }: { sessionId: string }) {
  const session = useLoad(async () => unwrap(await api.GET('/api/v1/ai-sessions/{id}', { params: { path: { id: sessionId } } })).data, [sessionId]);
  const s = session.data;
  return (
    <Card withBorder>
      <Title order={2} size="h3" mb="sm">AI agent session</Title>
      <PageState loading={session.loading} error={session.error} onRetry={session.reload} />
      {s && (
          <Stack>
            <Group gap="xs" wrap="wrap">
              <Text size="sm">Agent {orDash(s.aiAgentRef)}</Text>
              <Text size="sm">· {formatDuration(s.durationSeconds)}</Text>
              <Badge color={SENTIMENT_COLOR[s.sentiment ?? ''] ?? 'gray'} variant="light">Sentiment: {s.sentiment ?? 'unknown'}</Badge>
              {s.satisfactionScore !== null && <Badge variant="outline">Satisfaction {s.satisfactionScore}/5</Badge>}
            </Group>
            {s.transferredTo && <Text size="sm">Transferred to {s.transferredTo}{s.transferReason ? ` (${s.transferReason})` : ''}</Text>}
            {s.failureReason && <Text size="sm" c="red">Failed: {s.failureReason}</Text>}
            <Title order={3} size="h4">Transcript</Title>
            {s.transcript.length === 0 ? (
              <Text size="sm" c="dimmed">Nothing was said.</Text>
            ) : (
              <Timeline bulletSize={14} lineWidth={2} aria-label="Transcript">
                {s.transcript.map((raw, i) => {
                  const t = asObject<Turn>(raw);
                  return (
                    <Timeline.Item key={i} title={`${SPEAKER[t.role ?? ''] ?? orDash(t.role)} · ${formatTime(t.at ?? t.timestamp)}`} color={isAgent(t) ? 'blue' : 'teal'}>
                      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>{t.text}</Text>
                      {t.interrupted && <Text size="xs" c="dimmed">cut off after {((t.heardMs ?? 0) / 1000).toFixed(1)} s</Text>}
                    </Timeline.Item>
                  );
                })}
              </Timeline>
            )}
            <Title order={3} size="h4">Actions</Title>
            {s.actionsTaken.length === 0 ? (
              <Text size="sm" c="dimmed">The agent ran no actions.</Text>
            ) : (
              <Table aria-label="Actions">
                <Table.Thead>
                  <Table.Tr><Table.Th>Action</Table.Th><Table.Th visibleFrom="sm">Time</Table.Th><Table.Th>Details</Table.Th></Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {s.actionsTaken.map((raw, i) => {
                    const a = asObject<Action>(raw);
                    return (
                      <Table.Tr key={i}>
                        <Table.Td>{orDash(a.action)}</Table.Td>
                        <Table.Td visibleFrom="sm">{formatTime(a.timestamp)}</Table.Td>
                        <Table.Td style={{ overflowWrap: 'anywhere' }}>
                          <Code block style={{ whiteSpace: 'pre-wrap' }}>{[json(a.params), json(a.result)].filter(Boolean).join('\n→ ')}</Code>
                        </Table.Td>
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            )}
          </Stack>
      )}
    </Card>
  );
}
