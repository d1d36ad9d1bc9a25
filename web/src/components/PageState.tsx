/**
 * The states every page shows before or instead of its content, always the same way:
 * - `loading`: a loader with "Loading…" (announced to screen readers);
 * - `error` (anything thrown, usually an ApiError): the message in a red alert, with "Try again"
 *   when `onRetry` is given;
 * - `empty`: `true` shows `emptyText` (default "Nothing here yet"), or pass the text itself;
 *   `action` (e.g. a "New trunk" button) is shown below it;
 * - otherwise the `children` (the page's content).
 * `title` (optional) is the page's heading (h1), shown above whichever state. Precedence: loading,
 * error, empty, children.
 * @example <PageState title="Trunks" loading={t.loading} error={t.error} onRetry={t.reload} empty={t.data?.length === 0} emptyText="No trunks yet">…</PageState>
 */
import { Alert, Button, Center, Loader, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { asApiError } from '../api/client';

export interface PageStateProps {
  title?: ReactNode;
  loading?: boolean;
  error?: unknown;
  onRetry?: () => void;
  empty?: boolean | ReactNode;
  emptyText?: ReactNode;
  action?: ReactNode;
  children?: ReactNode;
}

export function PageState({ title, loading, error, onRetry, empty, emptyText, action, children }: PageStateProps) {
  const failed = error !== undefined && error !== null && error !== false;
  const isEmpty = empty !== undefined && empty !== null && empty !== false;
  let body: ReactNode;
  if (loading) {
    body = (
      <Center py="xl" role="status" aria-live="polite">
        <Loader aria-hidden size="sm" />
        <Text ml="sm" c="dimmed">Loading…</Text>
      </Center>
    );
  } else if (failed) {
    body = (
      <Alert color="red" title="Could not load this" role="alert">
        <Stack gap="xs" align="flex-start">
          <Text size="sm">{asApiError(error).message}</Text>
          {onRetry && <Button size="xs" variant="light" color="red" onClick={onRetry}>Try again</Button>}
        </Stack>
      </Alert>
    );
  } else if (isEmpty) {
    body = (
      <Stack align="center" gap="sm" py="xl">
        <Text c="dimmed" ta="center">{empty === true ? (emptyText ?? 'Nothing here yet') : empty}</Text>
        {action}
      </Stack>
    );
  } else {
    body = children;
  }
  if (!title) return <>{body}</>;
  return (
    <Stack gap="md">
      <Title order={1} size="h2">{title}</Title>
      {body}
    </Stack>
  );
}
