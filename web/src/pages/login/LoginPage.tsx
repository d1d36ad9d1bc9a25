/**
 * /login: email and password (labelled fields; Enter submits). A refused login shows the API's
 * message (one answer for an unknown email and a wrong password); too many attempts show when to
 * try again. Afterwards the person goes where they were sent from (`?next=`, a path of the portal
 * only) or to the dashboard; someone already logged in goes there at once.
 */
import { Alert, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { asApiError, type ApiError } from '../../api/client';
import { useSession } from '../../auth/session';
import { AuthCard } from './AuthCard';

/** `next` when it is a path of this site (never another origin), else `/`. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

function refusal(err: ApiError): { title: string; message: string } {
  if (err.code === 'rate_limited' || err.status === 429) return { title: 'Too many attempts', message: err.message };
  if (err.status === 401) return { title: 'Login refused', message: err.message };
  return { title: 'Login failed', message: err.message };
}

export function LoginPage() {
  const { status, login } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  if (status === 'ready' && !busy) return <Navigate to={next} replace />;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(email.trim(), password);
      navigate(next, { replace: true });
    } catch (err) {
      setError(asApiError(err));
      setPassword('');
      setBusy(false);
    }
  };

  const shown = error && refusal(error);
  return (
    <AuthCard title="Log in to Switchplane">
      <form onSubmit={submit} noValidate>
        <Stack gap="md">
          {shown && (
            <Alert color="red" title={shown.title} role="alert">
              {shown.message}
            </Alert>
          )}
          <TextInput
            label="Email"
            type="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={error?.field === 'email' ? error.message : undefined}
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={error?.field === 'password' ? error.message : undefined}
          />
          <Button type="submit" loading={busy} disabled={!email.trim() || !password} fullWidth>
            Log in
          </Button>
        </Stack>
      </form>
    </AuthCard>
  );
}
