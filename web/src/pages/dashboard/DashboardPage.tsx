/**
 * / (every role): today's figures, the last 24 hours as a chart, and what happens now, pushed by
 * the live stream: calls in progress, registered phones, trunk gateways. An agent sees its own
 * extension's share of each (the API restricts it).
 */
import { Badge, Group, SimpleGrid, Stack, Title } from '@mantine/core';
import { useSession } from '../../auth/session';
import { useLive } from '../../live/useLive';
import { HourlyChart } from './HourlyChart';
import { RegisteredPhones, TrunkGateways } from './LiveDevices';
import { LiveCalls } from './LiveCalls';
import { TodayFigures } from './TodayFigures';

export function DashboardPage() {
  const { user } = useSession();
  const { connected, loaded, failing } = useLive();
  const [color, label] = connected ? ['teal', 'Live'] : failing ? ['red', 'Live updates off'] : loaded ? ['yellow', 'Reconnecting…'] : ['gray', 'Connecting…'];
  return (
    <Stack gap="md">
      <Group justify="space-between" wrap="wrap" gap="xs">
        <Title order={1} size="h2">Dashboard</Title>
        <Badge color={color} variant="dot" aria-live="polite">{label}</Badge>
      </Group>
      <TodayFigures />
      <HourlyChart />
      <LiveCalls />
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <RegisteredPhones />
        {user?.role !== 'agent' && <TrunkGateways />}
      </SimpleGrid>
    </Stack>
  );
}
