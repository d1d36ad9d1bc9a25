import { Table, Text } from '@mantine/core';

const show = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v));
const asRecord = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : v === null || v === undefined ? {} : { value: v });

/**
 * The change an audit entry records, field by field: each field of `before` and `after` (the
 * record as it was and became; null for a create or a delete), the changed ones marked. Secrets
 * arrive from the API already masked as `***`.
 */
export function AuditDiff({ before, after }: { before: unknown; after: unknown }) {
  const b = asRecord(before);
  const a = asRecord(after);
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  if (keys.length === 0) return <Text size="sm" c="dimmed">No fields recorded.</Text>;
  return (
    <Table aria-label="Changes" withColumnBorders fz="xs" style={{ tableLayout: 'fixed', width: '100%' }}>
      <Table.Thead>
        <Table.Tr><Table.Th>Field</Table.Th><Table.Th>Before</Table.Th><Table.Th>After</Table.Th></Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {keys.map((k) => {
          const was = show(b[k]);
          const is = show(a[k]);
          const changed = was !== is;
          return (
            <Table.Tr key={k} data-changed={changed || undefined} bg={changed ? 'var(--mantine-color-yellow-light)' : undefined}>
              <Table.Td style={{ overflowWrap: 'anywhere' }} fw={changed ? 700 : undefined}>{k}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }} c={changed ? 'red' : undefined}>{was}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }} c={changed ? 'green' : undefined}>{is}</Table.Td>
            </Table.Tr>
          );
        })}
      </Table.Tbody>
    </Table>
  );
}
