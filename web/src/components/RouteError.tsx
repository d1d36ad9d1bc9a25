/**
 * What a page shows when it failed while rendering or could not be loaded (e.g. a new version was
 * deployed and this tab asks for files that are gone): the error and a reload button, instead of a
 * blank page.
 */
import { Button, Center, Stack } from '@mantine/core';
import { useRouteError } from 'react-router-dom';
import { PageState } from './PageState';

export function RouteError() {
  const error = useRouteError();
  return (
    <Center p="md" mih="60vh">
      <Stack maw={520} w="100%">
        <PageState title="This page could not be shown" error={error instanceof Error ? error : new Error(String(error))} />
        <Button onClick={() => window.location.reload()} variant="light">Reload the page</Button>
      </Stack>
    </Center>
  );
}
