import { Anchor, Badge, Button, Group, Pagination, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, tenantHeader, unwrap } from '../../api/client';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { CallFilters } from './CallFilters';
import { ClickToCall } from './ClickToCall';
import { filtersOf, queryOf, type CdrFilters } from './filters';
import { formatDuration, formatTime, orDash } from './format';

const LIMIT = 25;
const DISPOSITION_COLOR: Record<string, string> = { ANSWERED: 'green.8', 'NO ANSWER': 'yellow.9', BUSY: 'orange.8', FAILED: 'red.8', CANCELLED: 'gray.7' };

/** The CSV export of the list's filters: an operator names the customer in the path (a link sends no X-Tenant-ID). */
function csvHref(query: string): string {
  const tenant = tenantHeader();
  const path = tenant ? `/api/v1/customers/${tenant}/cdrs.csv` : '/api/v1/cdrs.csv';
  return query ? `${path}?${query}` : path;
}

/**
 * `/calls`: the customer's call detail records, newest first, with the API's filters
 * (GET /api/v1/cdrs), page by page; CSV export of the same filters (GET /api/v1/cdrs.csv);
 * click-to-call. Each row opens `/calls/:id`.
 */
export function CallsPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersOf(params);
  const page = Number(params.get('page') ?? '1') || 1;
  const [calling, setCalling] = useState(false);
  const query = queryOf(filters);
  const list = useLoad(async () => unwrap(await api.GET('/api/v1/cdrs', { params: { query: { ...filters, page, limit: LIMIT } as never } })), [query, page]);
  const apply = (f: CdrFilters) => setParams(new URLSearchParams(queryOf(f)));
  const goTo = (p: number) => {
    const next = new URLSearchParams(query);
    if (p > 1) next.set('page', String(p));
    setParams(next);
  };
  const rows = list.data?.data ?? [];
  const pagination = list.data?.pagination;

  return (
    <Stack>
      <Group justify="space-between" wrap="wrap">
        <Title order={1} size="h2">Calls</Title>
        <Group gap="xs">
          <Button variant="default" component="a" href={csvHref(query)} download="calls.csv">Export CSV</Button>
          <Button onClick={() => setCalling(true)}>Click-to-call</Button>
        </Group>
      </Group>
      <CallFilters value={filters} onApply={apply} />
      <PageState loading={list.loading} error={list.error} onRetry={list.reload} empty={list.data && rows.length === 0 ? (query ? 'No calls match these filters.' : 'No calls yet.') : undefined} />
      {rows.length > 0 && (
        <Table striped highlightOnHover aria-label="Call detail records">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Start</Table.Th>
              <Table.Th>From → to</Table.Th>
              <Table.Th visibleFrom="sm">Direction</Table.Th>
              <Table.Th>Result</Table.Th>
              <Table.Th visibleFrom="sm">Duration</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/calls/${c.id}`}>{formatTime(c.startTime)}</Anchor>
                </Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>
                  {orDash(c.callerNumber)} → {orDash(c.calledNumber)}
                  {c.aiSessionId && <Badge ml="xs" size="xs" variant="light">AI</Badge>}
                </Table.Td>
                <Table.Td visibleFrom="sm">{c.direction}</Table.Td>
                <Table.Td><Text size="sm" fw={600} c={DISPOSITION_COLOR[c.disposition] ?? 'gray'}>{c.disposition}</Text></Table.Td>
                <Table.Td visibleFrom="sm">{formatDuration(c.durationSeconds)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {pagination && pagination.total > 0 && (
        <Group justify="space-between" wrap="wrap">
          <Text size="sm" c="dimmed">{pagination.total} calls</Text>
          {pagination.pages > 1 && <Pagination total={pagination.pages} value={pagination.page} onChange={goTo} size="sm" />}
        </Group>
      )}
      <ClickToCall opened={calling} onClose={() => setCalling(false)} />
    </Stack>
  );
}
