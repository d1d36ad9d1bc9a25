/**
 * Registered phones and trunk gateways, pushed by the live stream (useLive): a phone's extension,
 * user agent and address; a gateway's trunk, its registration state and OPTIONS ping status.
 */
import { Badge, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { PageState } from '../../components/PageState';
import { liveState, useLive, type LiveRegistration } from '../../live/useLive';

/** REGED / NOREG are fine, FAIL_WAIT, UNREGED and the like are not (mod_sofia's gateway states); UNKNOWN: not reported yet. */
function gatewayColor(state: string): string {
  if (state === 'REGED' || state === 'NOREG' || state === 'UP') return 'teal';
  if (state === 'UNKNOWN') return 'gray';
  if (state === 'TRYING' || state === 'REGISTER' || state === 'UNREGISTER') return 'yellow';
  return 'red';
}

function phoneTitle(r: LiveRegistration): string {
  return `Extension ${r.extensionNumber}${r.displayName ? ` · ${r.displayName}` : ''}`;
}

export function RegisteredPhones() {
  const live = useLive();
  const { registrations, loaded } = live;
  const phones = registrations.filter((r) => r.registered);
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={3} size="h4" mb="sm">Registered phones {loaded && <Badge ml={4} variant="light">{phones.length}</Badge>}</Title>
      <PageState {...liveState(live)} empty={phones.length === 0} emptyText="No phone is registered.">
        <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {phones.map((r) => (
            <li key={r.extensionId}>
              <Text size="sm" fw={600}>{phoneTitle(r)}</Text>
              <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
                {[r.userAgent, r.ip ? `${r.ip}${r.port ? `:${r.port}` : ''}` : null].filter(Boolean).join(' · ') || 'registered'}
              </Text>
            </li>
          ))}
        </Stack>
      </PageState>
    </Paper>
  );
}

export function TrunkGateways() {
  const live = useLive();
  const { gateways } = live;
  return (
    <Paper withBorder p="md" radius="md">
      <Title order={3} size="h4" mb="sm">Trunks</Title>
      <PageState {...liveState(live)} empty={gateways.length === 0} emptyText="No active trunk.">
        <Stack gap="xs" component="ul" style={{ listStyle: 'none', padding: 0, margin: 0 }}>
          {gateways.map((g) => (
            <li key={g.trunkId}>
              <Group justify="space-between" wrap="nowrap" gap="xs">
                <Text size="sm" fw={600} truncate>{g.name}</Text>
                <Badge color={gatewayColor(g.registrationState)} variant="light">{g.registrationState}</Badge>
              </Group>
              {(g.pingStatus || g.lastError) && (
                <Text size="xs" c="dimmed" style={{ wordBreak: 'break-word' }}>
                  {[g.pingStatus ? `ping ${g.pingStatus}` : null, g.lastError].filter(Boolean).join(' · ')}
                </Text>
              )}
            </li>
          ))}
        </Stack>
      </PageState>
    </Paper>
  );
}
