import { Button, Card, Collapse, Group, Pagination, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';
import { formatTime, orDash } from '../calls/format';
import { AuditDiff } from './AuditDiff';

const KEYS = ['from', 'to', 'actor', 'resourceType', 'action'] as const;
type Filters = Partial<Record<(typeof KEYS)[number], string>>;
const LIMIT = 25;

function queryOf(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of KEYS) if (f[k]) q.set(k, f[k]!);
  return q;
}

/**
 * `/audit-log`: who changed what in the customer (GET /api/v1/audit-log), newest first, filtered
 * by time range (dates in the customer's time zone), actor, resource type and action, page by
 * page; each entry opens to its before/after comparison (secrets masked by the API).
 */
export function AuditLogPage() {
  const [params, setParams] = useSearchParams();
  const filters: Filters = Object.fromEntries(KEYS.map((k) => [k, params.get(k) ?? '']).filter(([, v]) => v));
  const page = Number(params.get('page') ?? '1') || 1;
  const key = queryOf(filters).toString();
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(filters), [key]); // eslint-disable-line react-hooks/exhaustive-deps
  const [open, setOpen] = useState<string | null>(null);
  const log = useLoad(async () => unwrap(await api.GET('/api/v1/audit-log', { params: { query: { ...filters, page, limit: LIMIT } } })), [key, page]);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setParams(queryOf(draft));
  };
  const goTo = (p: number) => {
    const q = queryOf(filters);
    if (p > 1) q.set('page', String(p));
    setParams(q);
  };
  const input = (k: (typeof KEYS)[number], label: string, type = 'text', placeholder?: string) => (
    <TextInput label={label} type={type} placeholder={placeholder} value={draft[k] ?? ''} onChange={(e) => { const value = e.currentTarget.value; setDraft((d) => ({ ...d, [k]: value })); }} />
  );
  const rows = log.data?.data ?? [];
  const pagination = log.data?.pagination;

  return (
    <Stack>
      <Title order={1} size="h2">Audit log</Title>
      <form onSubmit={apply} aria-label="Audit log filters">
        <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="sm">
          {input('from', 'From', 'date')}
          {input('to', 'To', 'date')}
          {input('actor', 'Actor', 'text', 'e.g. admin@ or sp_1a2b')}
          {input('resourceType', 'Resource type', 'text', 'e.g. trunk, api_key, user')}
          {input('action', 'Action', 'text', 'e.g. create, update, revoke')}
          <Group align="flex-end" gap="xs">
            <Button type="submit">Apply</Button>
            <Button variant="default" onClick={() => setParams(new URLSearchParams())}>Clear</Button>
          </Group>
        </SimpleGrid>
      </form>
      <PageState loading={log.loading} error={log.error} onRetry={log.reload} empty={log.data && rows.length === 0 ? (key ? 'No changes match these filters.' : 'No changes recorded yet.') : undefined} />
      {rows.length > 0 && (
        <Stack gap="xs" aria-label="Audit entries">
          {rows.map((r) => (
            <Card key={r.id} withBorder padding="sm">
              <Group justify="space-between" wrap="wrap" gap="xs">
                <div style={{ minWidth: 0 }}>
                  <Text size="sm" fw={600} style={{ overflowWrap: 'anywhere' }}>{r.action} {r.resourceType} {r.resourceId ? <Text span size="xs" c="dimmed">{r.resourceId}</Text> : null}</Text>
                  <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>{formatTime(r.createdAt)} · {orDash(r.actor)}</Text>
                </div>
                <Button size="xs" variant="default" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>
                  {open === r.id ? 'Hide changes' : 'Show changes'}
                </Button>
              </Group>
              <Collapse in={open === r.id} mt={open === r.id ? 'xs' : 0}>{open === r.id && <AuditDiff before={r.before} after={r.after} />}</Collapse>
            </Card>
          ))}
        </Stack>
      )}
      {pagination && pagination.total > 0 && (
        <Group justify="space-between" wrap="wrap">
          <Text size="sm" c="dimmed">{pagination.total} entries</Text>
          {pagination.pages > 1 && <Pagination total={pagination.pages} value={pagination.page} onChange={goTo} size="sm" />}
        </Group>
      )}
    </Stack>
  );
}
