/**
 * Secrets shown once (an extension's SIP credentials, a CRM webhook secret): a warning that they
 * are not shown again, then each value as text with its own "Copy <label>" button.
 */
import { Alert, Button, Code, CopyButton, Group, Stack, Text } from '@mantine/core';

export interface SecretValue {
  label: string;
  value: string;
}

/** One value with a "Copy <label>" button. */
export function CopyValue({ label, value }: SecretValue) {
  return (
    <div>
      <Text size="sm" fw={500}>{label}</Text>
      <Group gap="xs" wrap="nowrap" align="center">
        <Code style={{ flex: 1, overflowWrap: 'anywhere', whiteSpace: 'pre-wrap' }} aria-label={label}>{value}</Code>
        <CopyButton value={value} timeout={2000}>
          {({ copied, copy }) => (
            <Button size="compact-xs" variant={copied ? 'filled' : 'light'} color={copied ? 'teal' : 'blue'} onClick={copy} aria-label={`Copy ${label}`}>
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
      </Group>
    </div>
  );
}

/** The values with a "shown once" warning above them. */
export function SecretValues({ values, warning }: { values: SecretValue[]; warning: string }) {
  return (
    <Stack gap="sm">
      <Alert color="yellow" title="Copy them now">{warning}</Alert>
      {values.map((v) => <CopyValue key={v.label} {...v} />)}
    </Stack>
  );
}
