/**
 * The logged-in person: `SessionProvider` asks `GET /api/v1/auth/session` once at start and
 * `useSession()` gives `{ status, user, login, accept, logout }`. The CSRF token of the session is
 * handed to the API client (api/client.ts), never stored. Any API answer 401 outside /auth/ ends
 * the session here (the route guard then sends the person to /login, coming back afterwards).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, onUnauthorized, setSessionCredentials, unwrap, type Schemas } from '../api/client';

/** The person behind the session cookie (the auth API's SessionUser). */
export type SessionUser = Schemas['SessionUser'];
export type Role = SessionUser['role'];

export interface Session {
  /** `loading` until the first answer; `anonymous` when nobody is logged in; `error` when the service could not say. */
  status: 'loading' | 'ready' | 'anonymous' | 'error';
  user: SessionUser | null;
  /** Logs in; throws ApiError (401 invalid_credentials, 429 rate_limited, …). */
  login(email: string, password: string): Promise<SessionUser>;
  /** Sets the password of an invite or reset link and logs in; throws ApiError. */
  accept(token: string, password: string): Promise<SessionUser>;
  /** Ends the session (the cookie is dropped even when the request fails). */
  logout(): Promise<void>;
  /** Asks the service again (after `error`). */
  refresh(): void;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<Session['status']>('loading');
  const [user, setUser] = useState<SessionUser | null>(null);
  const [attempt, setAttempt] = useState(0);

  const enter = useCallback((next: { user: SessionUser; csrfToken: string }) => {
    setSessionCredentials(next.csrfToken, next.user.role === 'operator');
    setUser(next.user);
    setStatus('ready');
    return next.user;
  }, []);
  const leave = useCallback(() => {
    setSessionCredentials(null, false);
    setUser(null);
    setStatus('anonymous');
  }, []);

  useEffect(() => {
    let live = true;
    api.GET('/api/v1/auth/session').then(
      (r) => {
        if (!live) return;
        if (r.response.status === 401) leave();
        else if (r.data) enter(r.data.data);
        else setStatus('error');
      },
      () => live && setStatus('error'),
    );
    return () => {
      live = false;
    };
  }, [attempt, enter, leave]);

  useEffect(() => {
    onUnauthorized(leave);
    return () => onUnauthorized(null);
  }, [leave]);

  const value = useMemo<Session>(() => ({
    status,
    user,
    login: async (email, password) => enter(unwrap(await api.POST('/api/v1/auth/login', { body: { email, password } })).data),
    accept: async (token, password) => enter(unwrap(await api.POST('/api/v1/auth/accept', { body: { token, password } })).data),
    logout: async () => {
      try {
        await api.POST('/api/v1/auth/logout');
      } finally {
        leave();
      }
    },
    refresh: () => {
      setStatus('loading');
      setAttempt((n) => n + 1);
    },
  }), [status, user, enter, leave]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** The session; only inside SessionProvider. */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
