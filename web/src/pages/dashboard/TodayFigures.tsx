/**
 * Today's figures (GET /api/v1/cdrs/stats with from = to = today, which the API reads as the
 * customer's day): calls, answer rate and average duration, as three cards.
 */
import { Paper, SimpleGrid, Skeleton, Text } from '@mantine/core';
import { api, unwrap } from '../../api/client';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { clock, todayDate } from './format';

function Figure({ label, value, hint }: { label: string; value: string | null; hint?: string }) {
  return (
    <Paper withBorder p="md" radius="md">
      <Text size="xs" c="dimmed" tt="uppercase" fw={700}>{label}</Text>
      {value === null ? <Skeleton h={32} mt={6} w="60%" /> : <Text fz={28} fw={700} lh={1.3}>{value}</Text>}
      {hint && <Text size="xs" c="dimmed">{hint}</Text>}
    </Paper>
  );
}

export function TodayFigures() {
  const day = todayDate();
  const stats = useLoad(async () => unwrap(await api.GET('/api/v1/cdrs/stats', { params: { query: { from: day, to: day } } })).data, [day]);
  if (stats.error) return <PageState error={stats.error} onRetry={stats.reload} />;
  const s = stats.data;
  return (
    <SimpleGrid cols={{ base: 1, xs: 3 }} spacing="md" aria-label="Today's figures">
      <Figure label="Calls today" value={s ? String(s.totalCalls) : null} hint={s ? `${s.answered} answered` : undefined} />
      <Figure label="Answer rate" value={s ? `${Number(s.answerRate).toFixed(0)} %` : null} hint={s && s.totalCalls === 0 ? 'no calls yet today' : undefined} />
      <Figure label="Average duration" value={s ? clock(s.avgDuration) : null} hint="minutes:seconds" />
    </SimpleGrid>
  );
}
