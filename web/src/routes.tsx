/**
 * Every page of the portal, once: its path, who may open it, whether an operator must have picked a
 * customer first, and its entry in the navigation (layout/Shell.tsx builds the menu from this
 * table). /login and /accept are outside the layout; everything else needs a session.
 */
import type { ReactNode } from 'react';
import { createBrowserRouter, Navigate } from 'react-router-dom';
import type { Role } from './auth/session';
import { RequireRole } from './auth/RequireRole';
import { Shell } from './layout/Shell';
import { ApiKeysPage } from './pages/api-keys/ApiKeysPage';
import { AuditLogPage } from './pages/audit-log/AuditLogPage';
import { CallDetailPage } from './pages/calls/CallDetailPage';
import { CallsPage } from './pages/calls/CallsPage';
import { CustomersPage } from './pages/customers/CustomersPage';
import { DashboardPage } from './pages/dashboard/DashboardPage';
import { ExtensionsPage } from './pages/extensions/ExtensionsPage';
import { FreeswitchPage } from './pages/freeswitch/FreeswitchPage';
import { AcceptPage } from './pages/login/AcceptPage';
import { LoginPage } from './pages/login/LoginPage';
import { NumbersPage } from './pages/numbers/NumbersPage';
import { PhonePage } from './pages/phone/PhonePage';
import { RecurringCallsPage } from './pages/recurring-calls/RecurringCallsPage';
import { TrunksPage } from './pages/trunks/TrunksPage';
import { UsersPage } from './pages/users/UsersPage';

export interface PortalRoute {
  path: string;
  element: ReactNode;
  roles: readonly Role[];
  /** An operator sees "choose a customer" until the header's picker names one. */
  customer: boolean;
  /** Menu entry; absent for pages reached from another (e.g. a call's detail). `agentLabel` is what an agent reads. */
  nav?: { label: string; agentLabel?: string };
  /** Listed in the menu only when the logged-in person has a linked extension. */
  needsExtension?: boolean;
}

const ALL: readonly Role[] = ['operator', 'admin', 'agent'];
const MANAGERS: readonly Role[] = ['operator', 'admin'];

export const PORTAL_ROUTES: readonly PortalRoute[] = [
  { path: '/', element: <DashboardPage />, roles: ALL, customer: true, nav: { label: 'Dashboard' } },
  { path: '/calls', element: <CallsPage />, roles: ALL, customer: true, nav: { label: 'Calls' } },
  { path: '/calls/:id', element: <CallDetailPage />, roles: ALL, customer: true },
  { path: '/phone', element: <PhonePage />, roles: ALL, customer: true, nav: { label: 'Phone' }, needsExtension: true },
  { path: '/extensions', element: <ExtensionsPage />, roles: ALL, customer: true, nav: { label: 'Extensions', agentLabel: 'My extension' } },
  { path: '/trunks', element: <TrunksPage />, roles: MANAGERS, customer: true, nav: { label: 'Trunks' } },
  { path: '/numbers', element: <NumbersPage />, roles: MANAGERS, customer: true, nav: { label: 'Numbers' } },
  { path: '/recurring-calls', element: <RecurringCallsPage />, roles: MANAGERS, customer: true, nav: { label: 'Recurring calls' } },
  { path: '/users', element: <UsersPage />, roles: MANAGERS, customer: true, nav: { label: 'Users' } },
  { path: '/api-keys', element: <ApiKeysPage />, roles: MANAGERS, customer: false, nav: { label: 'API keys' } },
  { path: '/audit-log', element: <AuditLogPage />, roles: MANAGERS, customer: true, nav: { label: 'Audit log' } },
  { path: '/freeswitch', element: <FreeswitchPage />, roles: MANAGERS, customer: true, nav: { label: 'FreeSWITCH config' } },
  { path: '/customers', element: <CustomersPage />, roles: ['operator'], customer: false, nav: { label: 'Customers' } },
];

export const router = createBrowserRouter([
  { path: '/login', element: <LoginPage /> },
  { path: '/accept', element: <AcceptPage /> },
  {
    element: (
      <RequireRole>
        <Shell routes={PORTAL_ROUTES} />
      </RequireRole>
    ),
    children: [
      ...PORTAL_ROUTES.map((r) => ({ path: r.path, element: <RequireRole roles={r.roles}>{r.element}</RequireRole>, handle: r })),
      { path: '*', element: <Navigate to="/" replace /> },
    ],
  },
]);
