/**
 * The "open now?" indicator: Open / Closed at this moment in the customer's time zone, with the
 * local weekday and time it was judged at. Re-judged every 30 s (a clock, not an API request).
 */
import { Badge, Group, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { BusinessHours } from './number-api';
import { isOpenAt, localTime } from './open-now';

/** The current time, refreshed every `everyMs`. */
function useNow(everyMs: number): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    const timer = setInterval(() => setNow(new Date()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

export interface OpenNowProps {
  hours: BusinessHours | null;
  /** The customer's IANA time zone. */
  timeZone: string;
  /** Also show the local time the answer holds for. */
  withTime?: boolean;
}

export function OpenNow({ hours, timeZone, withTime = false }: OpenNowProps) {
  const now = useNow(30_000);
  const open = isOpenAt(hours, timeZone, now);
  const local = localTime(timeZone, now);
  const label = open === null ? 'Unknown time zone' : !hours ? 'Always open' : open ? 'Open now' : 'Closed now';
  return (
    <Group gap="xs" wrap="wrap" role="status" aria-label={`${label}${local ? `, ${local.toFormat('cccc HH:mm')} in ${timeZone}` : ''}`}>
      <Badge color={open === null ? 'yellow' : open ? 'green' : 'gray'} variant="light">{label}</Badge>
      {withTime && local && <Text size="xs" c="dimmed">{local.toFormat('cccc HH:mm')} in {timeZone}</Text>}
    </Group>
  );
}
