/**
 * A confirmation dialog before a delete: names what goes and what follows, "Cancel" (focused
 * first, Escape too) and a red "Delete" that runs `onConfirm`; a failure is shown in the dialog
 * and the dialog stays open.
 */
import { Alert, Button, Group, Modal, Text } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { asApiError } from '../api/client';

export interface ConfirmDeleteProps {
  /** Dialog title, e.g. "Delete trunk acme-main?". */
  title: string;
  /** What deleting means for the user. */
  children: ReactNode;
  opened: boolean;
  onClose: () => void;
  /** Performs the delete; the dialog closes when it resolves. */
  onConfirm: () => Promise<void>;
}

export function ConfirmDelete({ title, children, opened, onClose, onConfirm }: ConfirmDeleteProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const close = () => {
    setError(null);
    onClose();
  };
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      close();
    } catch (err) {
      setError(asApiError(err).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={close} title={title} centered>
      <Text size="sm">{children}</Text>
      {error && <Alert color="red" mt="md" role="alert">{error}</Alert>}
      <Group justify="flex-end" mt="lg">
        <Button variant="default" onClick={close} data-autofocus>Cancel</Button>
        <Button color="red" onClick={() => void confirm()} loading={busy}>Delete</Button>
      </Group>
    </Modal>
  );
}
