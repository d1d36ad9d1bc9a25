/**
 * The CRM webhook of a number: the URL the AI agent's create_ticket tool posts tickets to, and
 * the secret signing them (X-Switchplane-Signature). The API never answers the secret, only
 * whether one is stored; "Generate" fills in a random one (32 bytes, hex) to copy before saving.
 */
import { Button, Group, PasswordInput, Stack, TextInput } from '@mantine/core';
import type { Form } from '../../hooks/useForm';
import type { NumberForm } from './number-api';

/** 32 random bytes as 64 hex digits, from the browser's CSPRNG. */
export function randomSecret(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function CrmWebhookFields({ f, secretSet }: { f: Form<NumberForm>; secretSet: boolean }) {
  const { values: v, errors, set, idOf } = f;
  return (
    <Stack gap="sm">
      <TextInput id={idOf('crmWebhookUrl')} label="CRM webhook URL" type="url" value={v.crmWebhookUrl} error={errors.crmWebhookUrl}
        description="where the AI agent posts tickets (https://…); blank: no webhook" onChange={(e) => set('crmWebhookUrl', e.currentTarget.value)} />
      <Group align="flex-end" gap="xs" wrap="nowrap">
        <PasswordInput id={idOf('crmWebhookSecret')} label="CRM webhook secret" style={{ flex: 1 }} value={v.crmWebhookSecret}
          error={errors.crmWebhookSecret} aria-invalid={errors.crmWebhookSecret !== undefined} autoComplete="new-password"
          description={secretSet ? 'a secret is stored; leave blank to keep it' : '16 to 256 characters; signs every ticket'}
          onChange={(e) => set('crmWebhookSecret', e.currentTarget.value)} />
        <Button variant="default" onClick={() => set('crmWebhookSecret', randomSecret())}>Generate</Button>
      </Group>
    </Stack>
  );
}
