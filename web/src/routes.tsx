/**
 * Every page of the portal, once: its path, who may open it, whether an operator must have picked a
 * customer first, and its entry in the navigation (layout/Shell.tsx builds the menu from this
 * table). /login and /accept are outside the layout; everything else needs a session.
 */
import { lazy, type ReactNode } from 'react';
import { createBrowserRouter, Navigate } from 'react-router-dom';
import type { Role } from './auth/session';
import { RequireRole } from './auth/RequireRole';
import { RouteError } from './components/RouteError';
import { Shell } from './layout/Shell';
import { DashboardPage } from './pages/dashboard/DashboardPage';
import { AcceptPage } from './pages/login/AcceptPage';
import { LoginPage } from './pages/login/LoginPage';

// Pages other than the dashboard and the login pages load when first opened (their own chunks:
// the softphone's SIP library, the forms), so the first page comes quickly.
const ApiKeysPage = lazy(() => import('./pages/api-keys/ApiKeysPage').then((m) => ({ default: m.ApiKeysPage })));
const AuditLogPage = lazy(() => import('./pages/audit-log/AuditLogPage').then((m) => ({ default: m.AuditLogPage })));
const CallDetailPage = lazy(() => import('./pages/calls/CallDetailPage').then((m) => ({ default: m.CallDetailPage })));
const CallsPage = lazy(() => import('./pages/calls/CallsPage').then((m) => ({ default: m.CallsPage })));
const CustomersPage = lazy(() => import('./pages/customers/CustomersPage').then((m) => ({ default: m.CustomersPage })));
const ExtensionsPage = lazy(() => import('./pages/extensions/ExtensionsPage').then((m) => ({ default: m.ExtensionsPage })));
const FreeswitchPage = lazy(() => import('./pages/freeswitch/FreeswitchPage').then((m) => ({ default: m.FreeswitchPage })));
const NumbersPage = lazy(() => import('./pages/numbers/NumbersPage').then((m) => ({ default: m.NumbersPage })));
const PhonePage = lazy(() => import('./pages/phone/PhonePage').then((m) => ({ default: m.PhonePage })));
const RecurringCallsPage = lazy(() => import('./pages/recurring-calls/RecurringCallsPage').then((m) => ({ default: m.RecurringCallsPage })));
const TrunksPage = lazy(() => import('./pages/trunks/TrunksPage').then((m) => ({ default: m.TrunksPage })));
const UsersPage = lazy(() => import('./pages/users/UsersPage').then((m) => ({ default: m.UsersPage })));

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
  { path: '/login', element: <LoginPage />, errorElement: <RouteError /> },
  { path: '/accept', element: <AcceptPage />, errorElement: <RouteError /> },
  {
    element: (
      <RequireRole>
        <Shell routes={PORTAL_ROUTES} />
      </RequireRole>
    ),
    errorElement: <RouteError />,
    children: [
      ...PORTAL_ROUTES.map((r) => ({ path: r.path, element: <RequireRole roles={r.roles}>{r.element}</RequireRole>, handle: r })),
      { path: '*', element: <Navigate to="/" replace /> },
    ],
  },
]);
