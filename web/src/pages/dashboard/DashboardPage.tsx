/**
 * / (every role): today's figures, the last 24 hours as a chart, and what happens now, pushed by
 * the live stream: calls in progress, registered phones, trunk gateways. An agent sees its own
 * extension's share of each (the API restricts it), and no trunks; an agent without an extension
 * is told so instead.
 */
import { Badge, Group, SimpleGrid, Stack, Title } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { useSession } from '../../auth/session';
import { PageState } from '../../components/PageState';
import { useLive } from '../../live/useLive';
import { RegisteredPhones, TrunkGateways } from './LiveDevices';
import { LiveCalls } from './LiveCalls';
import { TodayFigures } from './TodayFigures';

// The chart library is the largest part of the page: it loads in its own chunk, after the figures.
const HourlyChart = lazy(() => import('./HourlyChart').then((m) => ({ default: m.HourlyChart })));

export function DashboardPage() {
  const { user } = useSession();
  if (user?.role === 'agent' && !user.extensionId) {
    return <PageState title="Dashboard" empty="This login has no extension linked yet, so there are no calls to show. Ask your administrator to link one." />;
  }
  return <Figures agent={user?.role === 'agent'} />;
}

function Figures({ agent }: { agent: boolean }) {
  const { connected, loaded, failing } = useLive();
  const [color, label] = connected ? ['teal', 'Live'] : failing ? ['red', 'Live updates off'] : loaded ? ['yellow', 'Reconnecting…'] : ['gray', 'Connecting…'];
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Title order={1} size="h2">Dashboard</Title>
        <Badge color={color} variant="dot" aria-live="polite">{label}</Badge>
      </Group>
      <TodayFigures />
      <Suspense fallback={<PageState loading />}>
        <HourlyChart />
      </Suspense>
      <LiveCalls />
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <RegisteredPhones />
        {!agent && <TrunkGateways />}
      </SimpleGrid>
    </Stack>
  );
}
