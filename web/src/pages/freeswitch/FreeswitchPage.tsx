import { Code, Group, SegmentedControl, Select, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import { useChosenTenant } from '../../api/tenant';
import { useSession } from '../../auth/session';
import { PageState } from '../../components/PageState';
import { useLoad } from '../../hooks/useLoad';

type Section = 'directory' | 'dialplan' | 'gateways';
const SECTIONS = [{ value: 'directory', label: 'Directory' }, { value: 'dialplan', label: 'Dialplan' }, { value: 'gateways', label: 'sofia.conf' }];
const NONE: Record<Section, string> = { directory: 'No active extensions.', dialplan: 'No numbers.', gateways: 'No gateways.' };

/**
 * `/freeswitch`: the XML FreeSWITCH gets for the customer (GET
 * /api/v1/customers/{id}/freeswitch_config), read-only: a directory entry per extension
 * (voicemail PINs masked), the inbound dialplan per number (as of now: business hours apply),
 * and the `sofia.conf` gateways of the external profile (trunk passwords masked).
 */
export function FreeswitchPage() {
  const { user } = useSession();
  const chosen = useChosenTenant();
  const customerId = user?.role === 'operator' ? chosen : user?.tenantId ?? null;
  const config = useLoad(
    async () => (customerId ? unwrap(await api.GET('/api/v1/customers/{customerId}/freeswitch_config', { params: { path: { customerId } } })).data : null),
    [customerId],
  );
  const [section, setSection] = useState<Section>('directory');
  const [item, setItem] = useState<string | null>(null);
  const c = config.data;
  const entries = !c ? [] : section === 'directory' ? c.directory.map((d) => ({ key: d.user, xml: d.xml })) : section === 'dialplan' ? c.dialplan.map((d) => ({ key: d.number, xml: d.xml })) : [{ key: 'sofia.conf', xml: c.gateways }];
  const shown = entries.find((e) => e.key === item) ?? entries[0];

  return (
    <Stack>
      <Title order={1} size="h2">FreeSWITCH configuration</Title>
      <Text size="sm" c="dimmed">What FreeSWITCH is answered for this customer right now, read-only. Passwords and PINs are masked.</Text>
      <PageState loading={config.loading} error={config.error} onRetry={config.reload} />
      {c && (
        <>
          <Group wrap="wrap" align="flex-end">
            <SegmentedControl aria-label="Section" value={section} onChange={(v) => { setSection(v as Section); setItem(null); }} data={SECTIONS} />
            {section !== 'gateways' && entries.length > 0 && (
              <Select label={section === 'directory' ? 'Extension' : 'Number'} allowDeselect={false} searchable data={entries.map((e) => e.key)} value={shown?.key ?? null} onChange={setItem} w={220} />
            )}
          </Group>
          {shown?.xml ? (
            <Code block aria-label="XML" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', maxHeight: '70vh', overflowY: 'auto' }}>{shown.xml}</Code>
          ) : (
            <Text c="dimmed">{NONE[section]}</Text>
          )}
        </>
      )}
    </Stack>
  );
}
