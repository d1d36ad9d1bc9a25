import { Accordion, Anchor, Badge, Card, Code, Group, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { AiSessionPanel } from './AiSessionPanel';
import { formatDuration, formatTime, orDash } from './format';

function Field({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text size="xs" c="dimmed">{label}</Text>
      <Text size="sm" style={{ overflowWrap: 'anywhere' }}>{value}</Text>
    </div>
  );
}

const party = (number: string | null, name: string | null) => `${orDash(number)}${name ? ` (${name})` : ''}`;

/**
 * `/calls/:id`: one call detail record (GET /api/v1/cdrs/{id}, id = record id or call id) with
 * its times, parties, result and FreeSWITCH variables, and the AI agent session when the call had
 * one (transcript, actions, sentiment).
 */
export function CallDetailPage() {
  const { id = '' } = useParams();
  const cdr = useLoad(async () => unwrap(await api.GET('/api/v1/cdrs/{id}', { params: { path: { id } } })).data, [id]);
  const c = cdr.data;
  return (
    <Stack>
      <Anchor component={Link} to="/calls" size="sm">← Calls</Anchor>
      <Title order={1} size="h2">Call {c ? `${orDash(c.callerNumber)} → ${orDash(c.calledNumber)}` : ''}</Title>
      <PageState loading={cdr.loading} error={cdr.error} onRetry={cdr.reload} />
      {c && (
        <>
          <Card withBorder>
            <Group gap="xs" mb="sm" wrap="wrap">
              <Badge variant="light">{c.direction}</Badge>
              <Badge variant="light">{c.callType.replace('_', ' ')}</Badge>
              <Badge variant="filled">{c.disposition}</Badge>
            </Group>
            <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="sm">
              <Field label="Caller" value={party(c.callerNumber, c.callerName)} />
              <Field label="Called" value={party(c.calledNumber, c.calledName)} />
              <Field label="Start" value={formatTime(c.startTime)} />
              <Field label="Answered" value={formatTime(c.answerTime)} />
              <Field label="End" value={formatTime(c.endTime)} />
              <Field label="Duration" value={formatDuration(c.durationSeconds)} />
              <Field label="Billable" value={formatDuration(c.billableSeconds)} />
              <Field label="Hangup cause" value={orDash(c.hangupCause)} />
              <Field label="SIP status" value={orDash(c.sipStatus)} />
              <Field label="Call id" value={c.callId} />
              <Field label="Other leg" value={orDash(c.otherLegCallId)} />
              <Field label="Recording" value={orDash(c.recordingUrl)} />
            </SimpleGrid>
          </Card>
          {c.aiSessionId && <AiSessionPanel sessionId={c.aiSessionId} />}
          <Accordion variant="contained">
            <Accordion.Item value="variables">
              <Accordion.Control>FreeSWITCH variables</Accordion.Control>
              <Accordion.Panel>
                <Code block style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>{JSON.stringify(c.metadata, null, 2)}</Code>
              </Accordion.Panel>
            </Accordion.Item>
          </Accordion>
        </>
      )}
    </Stack>
  );
}
