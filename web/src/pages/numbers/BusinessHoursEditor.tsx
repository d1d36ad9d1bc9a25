/**
 * Business hours per weekday in the customer's time zone: for each day a "<Day> open" checkbox
 * and, when open, "<Day> opens" and "<Day> closes" times (a close before the open spans
 * midnight), with "open now?" for the hours as edited. The API's errors name
 * `businessHours.<day>` and `businessHours.<day>.start|end`, shown at that day.
 */
import { Button, Checkbox, Group, Stack, Table, Text } from '@mantine/core';
import { TimeInput } from '@mantine/dates';
import { hoursBody, WEEKDAYS, type DayForm, type Weekday } from './number-api';
import { OpenNow } from './OpenNow';

const title = (d: Weekday) => d[0]!.toUpperCase() + d.slice(1);

export interface BusinessHoursEditorProps {
  hours: Record<Weekday, DayForm>;
  onChange: (hours: Record<Weekday, DayForm>) => void;
  timeZone: string;
  errors: Partial<Record<string, string>>;
  idOf: (field: string) => string;
}

export function BusinessHoursEditor({ hours, onChange, timeZone, errors, idOf }: BusinessHoursEditorProps) {
  const setDay = (d: Weekday, change: Partial<DayForm>) => onChange({ ...hours, [d]: { ...hours[d], ...change } });
  const mondayToWeekdays = () => {
    const next = { ...hours };
    for (const d of WEEKDAYS.slice(1, 5)) next[d] = { ...hours.monday };
    onChange(next);
  };
  return (
    <Stack gap="xs">
      <Group justify="space-between" wrap="wrap">
        <Text size="sm">Times are in the customer's time zone, {timeZone}.</Text>
        <OpenNow hours={hoursBody(hours)} timeZone={timeZone} withTime />
      </Group>
      <Table.ScrollContainer minWidth={320}>
        <Table verticalSpacing={4} aria-label="Business hours">
          <Table.Thead>
            <Table.Tr><Table.Th>Day</Table.Th><Table.Th>Opens</Table.Th><Table.Th>Closes</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {WEEKDAYS.map((d) => {
              const day = hours[d];
              const at = `businessHours.${d}`;
              return (
                <Table.Tr key={d}>
                  <Table.Td>
                    <Checkbox id={idOf(at)} label={title(d)} aria-label={`${title(d)} open`} checked={day.open} error={errors[at]} aria-invalid={errors[at] !== undefined}
                      onChange={(e) => setDay(d, { open: e.currentTarget.checked })} />
                  </Table.Td>
                  {day.open ? (
                    <>
                      <Table.Td>
                        <TimeInput id={idOf(`${at}.start`)} aria-label={`${title(d)} opens`} value={day.start} error={errors[`${at}.start`]}
                          onChange={(e) => setDay(d, { start: e.currentTarget.value })} />
                      </Table.Td>
                      <Table.Td>
                        <TimeInput id={idOf(`${at}.end`)} aria-label={`${title(d)} closes`} value={day.end} error={errors[`${at}.end`]}
                          onChange={(e) => setDay(d, { end: e.currentTarget.value })} />
                      </Table.Td>
                    </>
                  ) : (
                    <Table.Td colSpan={2}><Text size="sm" c="dimmed">Closed</Text></Table.Td>
                  )}
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Group>
        <Button size="xs" variant="default" onClick={mondayToWeekdays}>Copy Monday to Tuesday–Friday</Button>
      </Group>
    </Stack>
  );
}
