import { Button, Group, Select, SimpleGrid, TextInput } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { CALL_TYPES, DIRECTIONS, DISPOSITIONS, queryOf, type CdrFilters, type FilterKey } from './filters';

const options = (values: readonly string[]) => values.map((v) => ({ value: v, label: v.replace('_', ' ') }));

/**
 * The filter form of the call list: applied on submit (Enter in any field or the Apply button),
 * cleared at once with Clear. `value` is what the list currently shows.
 */
export function CallFilters({ value, onApply }: { value: CdrFilters; onApply: (f: CdrFilters) => void }) {
  const [draft, setDraft] = useState<CdrFilters>(value);
  const shown = queryOf(value);
  useEffect(() => setDraft(value), [shown]); // eslint-disable-line react-hooks/exhaustive-deps
  const set = (key: FilterKey) => (v: string | null) => setDraft((d) => ({ ...d, [key]: v ?? '' }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };
  return (
    <form onSubmit={submit} aria-label="Call filters">
      <SimpleGrid cols={{ base: 2, md: 4 }} spacing="sm">
        <TextInput type="date" label="From" value={draft.from ?? ''} onChange={(e) => set('from')(e.currentTarget.value)} />
        <TextInput type="date" label="To" value={draft.to ?? ''} onChange={(e) => set('to')(e.currentTarget.value)} />
        <Select label="Direction" clearable data={options(DIRECTIONS)} value={draft.direction || null} onChange={set('direction')} />
        <Select label="Disposition" clearable data={options(DISPOSITIONS)} value={draft.disposition || null} onChange={set('disposition')} />
        <Select label="Call type" clearable data={options(CALL_TYPES)} value={draft.callType || null} onChange={set('callType')} />
        <TextInput label="Extension" inputMode="numeric" placeholder="1001" value={draft.extension ?? ''} onChange={(e) => set('extension')(e.currentTarget.value.trim())} />
        <TextInput label="Number" inputMode="tel" placeholder="part of the caller or called number" value={draft.number ?? ''} onChange={(e) => set('number')(e.currentTarget.value.trim())} />
        <Group align="flex-end" gap="xs">
          <Button type="submit">Apply</Button>
          <Button variant="default" onClick={() => onApply({})}>Clear</Button>
        </Group>
      </SimpleGrid>
    </form>
  );
}
