/**
 * /accept?token=…: the link of an invite or a password reset. The person chooses a password (twice),
 * `POST /api/v1/auth/accept` sets it and logs them in, and they land on the dashboard. A link that
 * is used, expired or unknown shows the API's message; a missing token says the link is incomplete.
 */
import { Alert, Button, PasswordInput, Stack, Text } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { asApiError, type ApiError } from '../../api/client';
import { useSession } from '../../auth/session';
import { AuthCard } from './AuthCard';

export function AcceptPage() {
  const { accept } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get('token');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const mismatch = repeat.length > 0 && repeat !== password;

  if (!token) {
    return (
      <AuthCard title="Set your password">
        <Stack gap="md">
          <Alert color="red" title="This link is incomplete" role="alert">
            Open the whole link you were given (it ends with <code>?token=…</code>), or ask your administrator for a new one.
          </Alert>
          <Button component={Link} to="/login" variant="light">Go to login</Button>
        </Stack>
      </AuthCard>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (mismatch || !password) return;
    setBusy(true);
    setError(null);
    try {
      await accept(token, password);
      navigate('/', { replace: true });
    } catch (err) {
      setError(asApiError(err));
      setBusy(false);
    }
  };

  const passwordError = error?.field === 'password' ? error.message : undefined;
  return (
    <AuthCard title="Set your password">
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          <Text size="sm" c="dimmed">Choose the password you will log in with. The link works once.</Text>
          {error && !passwordError && (
            <Alert color="red" title="The password was not set" role="alert">
              {error.message}
            </Alert>
          )}
          <PasswordInput
            label="New password"
            autoComplete="new-password"
            required
            autoFocus
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={passwordError}
          />
          <PasswordInput
            label="Repeat the password"
            autoComplete="new-password"
            required
            value={repeat}
            onChange={(e) => setRepeat(e.currentTarget.value)}
            error={mismatch ? 'The two passwords differ' : undefined}
          />
          <Button type="submit" loading={busy} disabled={!password || repeat !== password} fullWidth>
            Set password and log in
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
