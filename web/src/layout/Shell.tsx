/**
 * The layout of every logged-in page (Mantine AppShell): a header with the burger (below 768 px the
 * menu folds away), the product name, an operator's customer picker and the user menu; a navbar
 * listing the pages the person's role may open (routes.tsx); the page. An operator's customer pages
 * wait for a customer to be chosen, and are rebuilt (new data, new live stream) when it changes.
 */
import { AppShell, Burger, Group, NavLink, ScrollArea, Text } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { Suspense } from 'react';
import { Link, Outlet, useLocation, useMatches } from 'react-router-dom';
import { useChosenTenant } from '../api/tenant';
import { useSession } from '../auth/session';
import { PageState } from '../components/PageState';
import { LiveProvider } from '../live/useLive';
import type { PortalRoute } from '../routes';
import { CustomerPicker } from './CustomerPicker';
import classes from './Shell.module.css';
import { UserMenu } from './UserMenu';

export function Shell({ routes }: { routes: readonly PortalRoute[] }) {
  const { user } = useSession();
  const [opened, { toggle, close }] = useDisclosure(false);
  const location = useLocation();
  const matches = useMatches();
  const tenant = useChosenTenant();
  if (!user) return null;
  const operator = user.role === 'operator';
  const current = matches.at(-1)?.handle as PortalRoute | undefined;
  const waitsForCustomer = operator && !tenant && current?.customer === true;
  const nav = routes.filter((r) => r.nav && r.roles.includes(user.role) && (!r.needsExtension || user.extensionId));
  const active = (path: string) => (path === '/' ? location.pathname === '/' : location.pathname === path || location.pathname.startsWith(`${path}/`));

  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <a href="#main" className={classes.skip}>Skip to the page</a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap" gap="sm">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? 'Close navigation' : 'Open navigation'} />
            <Text fw={700} size="lg" c="indigo" visibleFrom={operator ? 'xs' : undefined}>Switchplane</Text>
          </Group>
          <Group gap="sm" wrap="nowrap">
            {operator && <CustomerPicker />}
            {!operator && user.tenantName && <Text size="sm" c="dimmed" visibleFrom="sm">{user.tenantName}</Text>}
            <UserMenu user={user} />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Pages">
        <ScrollArea>
          {nav.map((r) => (
            <NavLink
              key={r.path}
              component={Link}
              to={r.path}
              label={user.role === 'agent' && r.nav!.agentLabel ? r.nav!.agentLabel : r.nav!.label}
              active={active(r.path)}
              onClick={close}
            />
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {waitsForCustomer ? (
          <PageState title={current?.nav?.label ?? 'Customer'} empty="Choose a customer in the header to see its data." />
        ) : (
          <LiveProvider key={tenant ?? 'own'} tenantId={operator ? tenant : null} off={operator && !tenant}>
            <Suspense fallback={<PageState loading />}>
              <Outlet key={operator ? tenant ?? 'none' : 'own'} />
            </Suspense>
          </LiveProvider>
        )}
      </AppShell.Main>
    </AppShell>
  );
}
