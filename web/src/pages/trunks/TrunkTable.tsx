/**
 * The trunks as a table (scrolling inside its own container on a narrow screen): name,
 * provider, where it points, priority, status, the live gateway state, calls now / maximum, and
 * per row "Test connection", "Edit" and "Delete" buttons named after the trunk.
 */
import { Badge, Button, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import type { LiveGateway } from '../../live/useLive';
import { GatewayState } from './GatewayState';
import type { Trunk } from './trunk-api';

export interface TrunkTableProps {
  trunks: Trunk[];
  /** The latest `gateways` event of /api/v1/live. */
  gateways: readonly LiveGateway[];
  live: boolean;
  onTest: (t: Trunk) => void;
  onEdit: (t: Trunk) => void;
  onDelete: (t: Trunk) => void;
}

const STATUS_COLOR: Record<Trunk['status'], string> = { active: 'green', inactive: 'gray', maintenance: 'orange' };

/**
 * The gateway state of a trunk: the live one (a gateway names its trunk by id, or by the gateway
 * name, which is the trunk's id) or, before FreeSWITCH reported, the one stored with the trunk.
 */
export function stateOf(t: Trunk, gateways: readonly LiveGateway[]): { state: string; pingStatus: string | null; lastError: string | null } {
  const g = gateways.find((x) => x.trunkId === t.id || x.name?.toLowerCase() === t.gatewayName.toLowerCase());
  const state = g?.registrationState;
  if (!g || !state) return { state: t.stats.registrationState, pingStatus: t.stats.pingStatus, lastError: t.stats.lastError };
  return { state, pingStatus: g.pingStatus ?? null, lastError: g.lastError ?? t.stats.lastError };
}

export function TrunkTable({ trunks, gateways, live, onTest, onEdit, onDelete }: TrunkTableProps) {
  return (
    <Table.ScrollContainer minWidth={860}>
      <Table striped highlightOnHover verticalSpacing="sm" aria-label="Trunks">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Provider</Table.Th>
            <Table.Th>Server</Table.Th>
            <Table.Th>Priority</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Registration</Table.Th>
            <Table.Th>Calls</Table.Th>
            <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {trunks.map((t) => {
            const s = stateOf(t, gateways);
            return (
              <Table.Tr key={t.id} data-trunk={t.name}>
                <Table.Td fw={600}>{t.name}</Table.Td>
                <Table.Td>{t.provider ?? '—'}</Table.Td>
                <Table.Td>
                  <Text size="sm">{t.host}:{t.port}</Text>
                  <Text size="xs" c="dimmed">{t.transport.toUpperCase()}{t.username ? ` · ${t.username}` : ''}</Text>
                </Table.Td>
                <Table.Td>{t.priority}</Table.Td>
                <Table.Td><Badge color={STATUS_COLOR[t.status]} variant="dot">{t.status}</Badge></Table.Td>
                <Table.Td>
                  <GatewayState state={s.state} pingStatus={s.pingStatus} lastError={s.lastError} live={live} />
                </Table.Td>
                <Table.Td>{t.stats.currentChannels} / {t.maxChannels}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap" justify="flex-end">
                    <Button size="xs" variant="light" onClick={() => onTest(t)} aria-label={`Test connection of ${t.name}`}>Test connection</Button>
                    <Button size="xs" variant="default" onClick={() => onEdit(t)} aria-label={`Edit ${t.name}`}>Edit</Button>
                    <Button size="xs" variant="subtle" color="red" onClick={() => onDelete(t)} aria-label={`Delete ${t.name}`}>Delete</Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
