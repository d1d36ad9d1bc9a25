/**
 * The phone numbers as a table (scrolling inside its own container on a narrow screen): number
 * and description, where calls go, "open now?" for AI numbers with business hours, the trunk,
 * failover extension, CRM webhook, and per row "Edit" and "Delete" buttons named after the number.
 */
import { Badge, Button, Group, Table, Text, VisuallyHidden } from '@mantine/core';
import type { Trunk } from '../trunks/trunk-api';
import type { PhoneNumber } from './number-api';
import { OpenNow } from './OpenNow';

/** Where a number's calls go, in words. */
export function routeText(n: PhoneNumber): string {
  if (n.route === 'ai_agent') return `AI agent (${n.aiAgentProfile ?? '?'})`;
  if (n.route === 'forward') return `Forward to ${n.routeTarget ?? '?'}`;
  return `Extension ${n.routeTarget ?? '?'}`;
}

export interface NumberTableProps {
  numbers: PhoneNumber[];
  trunks: readonly Trunk[];
  timeZone: string;
  onEdit: (n: PhoneNumber) => void;
  onDelete: (n: PhoneNumber) => void;
}

export function NumberTable({ numbers, trunks, timeZone, onEdit, onDelete }: NumberTableProps) {
  const trunkName = (id: string | null) => (id ? trunks.find((t) => t.id === id)?.name ?? 'unknown trunk' : '—');
  return (
    <Table.ScrollContainer minWidth={820}>
      <Table striped highlightOnHover verticalSpacing="sm" aria-label="Phone numbers">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Number</Table.Th>
            <Table.Th>Route</Table.Th>
            <Table.Th>Hours</Table.Th>
            <Table.Th>Trunk</Table.Th>
            <Table.Th>Failover</Table.Th>
            <Table.Th>CRM webhook</Table.Th>
            <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {numbers.map((n) => (
            <Table.Tr key={n.id} data-number={n.number}>
              <Table.Td>
                <Text fw={600}>{n.number}</Text>
                {n.description && <Text size="xs" c="dimmed">{n.description}</Text>}
                {!n.incomingEnabled && <Badge size="xs" color="gray">inbound off</Badge>}
              </Table.Td>
              <Table.Td>{routeText(n)}</Table.Td>
              <Table.Td>{n.route === 'ai_agent' ? <OpenNow hours={n.businessHours} timeZone={timeZone} /> : <Text size="sm" c="dimmed">—</Text>}</Table.Td>
              <Table.Td>{trunkName(n.trunkId)}</Table.Td>
              <Table.Td>{n.failoverExtension ?? '—'}</Table.Td>
              <Table.Td>
                {n.crmWebhookUrl ? <Text size="sm" style={{ overflowWrap: 'anywhere' }}>{n.crmWebhookUrl}</Text> : <Text size="sm" c="dimmed">—</Text>}
              </Table.Td>
              <Table.Td>
                <Group gap="xs" wrap="nowrap" justify="flex-end">
                  <Button size="xs" variant="default" onClick={() => onEdit(n)} aria-label={`Edit ${n.number}`}>Edit</Button>
                  <Button size="xs" variant="subtle" color="red" onClick={() => onDelete(n)} aria-label={`Delete ${n.number}`}>Delete</Button>
                </Group>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
