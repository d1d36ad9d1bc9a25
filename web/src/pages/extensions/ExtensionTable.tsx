/**
 * The extensions as a table (scrolling inside its own container on a narrow screen): number,
 * name, status, the live registration, the features in use, a "Do not disturb" switch, and per
 * row the buttons the person may use: "Edit", "Show credentials", "Delete".
 */
import { Badge, Button, Group, Switch, Table, Text, VisuallyHidden } from '@mantine/core';
import type { LiveRegistration } from '../../live/useLive';
import type { Extension } from './extension-api';
import { Registration } from './Registration';

export interface ExtensionTableProps {
  extensions: Extension[];
  registrations: readonly LiveRegistration[];
  live: boolean;
  /** Admins and operators: edit, delete and read credentials; agents only switch do not disturb. */
  manage: boolean;
  /** The extension whose do-not-disturb switch is being saved. */
  savingDnd: string | null;
  onDnd: (e: Extension, on: boolean) => void;
  onEdit: (e: Extension) => void;
  onCredentials: (e: Extension) => void;
  onDelete: (e: Extension) => void;
}

const STATUS_COLOR: Record<Extension['status'], string> = { active: 'green', inactive: 'gray', suspended: 'orange' };

/** The features switched on, as short words. */
function features(e: Extension): string[] {
  return [
    e.voicemailEnabled && 'voicemail',
    e.forwardingEnabled && `forward to ${e.forwardingNumber ?? '?'}`,
    e.callRecording && 'recording',
  ].filter((x): x is string => typeof x === 'string');
}

export function ExtensionTable({ extensions, registrations, live, manage, savingDnd, onDnd, onEdit, onCredentials, onDelete }: ExtensionTableProps) {
  return (
    <Table.ScrollContainer minWidth={manage ? 900 : 640}>
      <Table striped highlightOnHover verticalSpacing="sm" aria-label="Extensions">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Extension</Table.Th>
            <Table.Th>Name</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Phone</Table.Th>
            <Table.Th>Features</Table.Th>
            <Table.Th>Do not disturb</Table.Th>
            {manage && <Table.Th><VisuallyHidden>Actions</VisuallyHidden></Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {extensions.map((e) => (
            <Table.Tr key={e.id} data-extension={e.extensionNumber}>
              <Table.Td fw={600}>{e.extensionNumber}</Table.Td>
              <Table.Td>
                <Text size="sm">{e.displayName ?? '—'}</Text>
                {e.callerIdNumber && <Text size="xs" c="dimmed">caller ID {e.callerIdNumber}</Text>}
              </Table.Td>
              <Table.Td><Badge color={STATUS_COLOR[e.status]} variant="dot">{e.status}</Badge></Table.Td>
              <Table.Td><Registration extension={e} registrations={registrations} live={live} /></Table.Td>
              <Table.Td>
                <Group gap={4}>
                  {features(e).map((x) => <Badge key={x} size="sm" variant="outline">{x}</Badge>)}
                  {features(e).length === 0 && <Text size="sm" c="dimmed">—</Text>}
                </Group>
              </Table.Td>
              <Table.Td>
                <Switch aria-label={`Do not disturb for ${e.extensionNumber}`} checked={e.doNotDisturb} disabled={savingDnd === e.id}
                  onChange={(ev) => onDnd(e, ev.currentTarget.checked)} />
              </Table.Td>
              {manage && (
                <Table.Td>
                  <Group gap="xs" wrap="nowrap" justify="flex-end">
                    <Button size="xs" variant="default" onClick={() => onEdit(e)} aria-label={`Edit ${e.extensionNumber}`}>Edit</Button>
                    <Button size="xs" variant="light" onClick={() => onCredentials(e)} aria-label={`Show credentials of ${e.extensionNumber}`}>Show credentials</Button>
                    <Button size="xs" variant="subtle" color="red" onClick={() => onDelete(e)} aria-label={`Delete ${e.extensionNumber}`}>Delete</Button>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
