import { Alert, Button, Code, CopyButton, Group, Modal, Stack } from '@mantine/core';

/**
 * A one-time link to set a password (invite: 72 h, reset: 1 h), shown to the admin once with a
 * copy button: there is no mail server, the admin passes it on.
 */
export function LinkModal({ link, title, onClose }: { link: string | null; title: string; onClose: () => void }) {
  const url = link ? new URL(link, window.location.origin).toString() : '';
  return (
    <Modal opened={link !== null} onClose={onClose} title={title}>
      <Stack>
        <Alert color="yellow" title="Pass this link on now">
          It is shown only this once and works once: whoever opens it sets the password. An invite link expires in 72 hours, a reset link in one hour.
        </Alert>
        <Code block aria-label="One-time link" style={{ overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }}>{url}</Code>
        <Group justify="flex-end">
          <CopyButton value={url}>{({ copied, copy }) => <Button variant="light" onClick={copy}>{copied ? 'Copied' : 'Copy link'}</Button>}</CopyButton>
          <Button onClick={onClose}>Done</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
