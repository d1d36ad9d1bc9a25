/**
 * An extension's SIP credentials in a dialog: what a desk phone or softphone needs (username,
 * password, domain, server and port) and the WebSocket a browser phone connects to, each with a
 * copy button. Shown after creating an extension (the one time its generated password is
 * shown without asking) and on "Show credentials" for those allowed to read them.
 */
import { Button, Group, Modal } from '@mantine/core';
import { SecretValues, type SecretValue } from '../../components/SecretValues';
import type { SipCredentials } from './extension-api';

export interface CredentialsModalProps {
  credentials: SipCredentials;
  /** True right after creating the extension. */
  created: boolean;
  onClose: () => void;
}

export function CredentialsModal({ credentials: c, created, onClose }: CredentialsModalProps) {
  const values: SecretValue[] = [
    { label: 'Username', value: c.username },
    { label: 'Password', value: c.password },
    { label: 'Domain', value: c.domain },
    { label: 'SIP URI', value: c.sipUri },
    { label: 'Server', value: `${c.server}:${c.sipPort}` },
  ];
  if (c.wsUrl) values.push({ label: 'WebSocket (browser phones)', value: c.wsUrl });
  return (
    <Modal opened onClose={onClose} title={created ? `Extension ${c.extension} created: its SIP credentials` : `SIP credentials of extension ${c.extension}`} centered>
      <SecretValues values={values} warning={created
        ? 'Set these in the phone now: the password is not shown again here (only with "Show credentials", for admins).'
        : 'Anyone with these can register as this extension and call on your account. Close this when done.'} />
      <Group justify="flex-end" mt="lg"><Button onClick={onClose} data-autofocus>Done</Button></Group>
    </Modal>
  );
}
