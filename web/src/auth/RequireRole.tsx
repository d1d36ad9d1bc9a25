/**
 * Guards a route: nobody logged in → /login (back here afterwards, `?next=`); logged in with a role
 * not in `roles` → "not allowed" (the API refuses such requests too; this only keeps the page from
 * offering them). While the session is being asked, a loader.
 */
import { Button } from '@mantine/core';
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { PageState } from '../components/PageState';
import { useSession, type Role } from './session';

export function RequireRole({ roles, children }: { roles?: readonly Role[]; children: ReactNode }) {
  const { status, user, refresh } = useSession();
  const location = useLocation();
  if (status === 'loading') return <PageState loading />;
  if (status === 'error') return <PageState error={new Error('the service did not answer; is it running?')} onRetry={refresh} />;
  if (!user) {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  if (roles && !roles.includes(user.role)) {
    return (
      <PageState
        title="Not allowed"
        empty="Your login does not give access to this page."
        action={<Button component="a" href="/" variant="light">Go to the dashboard</Button>}
      />
    );
  }
  return <>{children}</>;
}
