/**
 * The last 24 hours, one bar pair per hour (calls, of them answered), from
 * GET /api/v1/cdrs/stats/hourly (24 buckets up to now, empty hours included), a Mantine chart.
 */
import { BarChart } from '@mantine/charts';
import { Paper, Text, Title } from '@mantine/core';
import { api, unwrap } from '../../api/client';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { hourLabel } from './format';

export function HourlyChart() {
  const hourly = useLoad(async () => unwrap(await api.GET('/api/v1/cdrs/stats/hourly')).data, []);
  const data = (hourly.data ?? []).map((b) => ({ hour: hourLabel(b.hour), Calls: b.calls, Answered: b.answered }));
  const quiet = hourly.data !== undefined && hourly.data.every((b) => b.calls === 0);
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={3} size="h4" mb="sm">Last 24 hours</Title>
      <PageState loading={hourly.loading} error={hourly.error} onRetry={hourly.reload} empty={quiet} emptyText="No calls in the last 24 hours.">
        <BarChart
          h={220}
          data={data}
          dataKey="hour"
          series={[
            { name: 'Calls', color: 'indigo.5' },
            { name: 'Answered', color: 'teal.5' },
          ]}
          tickLine="y"
          withLegend
          xAxisProps={{ interval: 'preserveStartEnd', minTickGap: 16 }}
          yAxisProps={{ allowDecimals: false }}
          aria-label="Calls and answered calls per hour over the last 24 hours"
        />
        <Text size="xs" c="dimmed" mt="xs">Hours in your browser's time zone.</Text>
      </PageState>
    </Paper>
  );
}
