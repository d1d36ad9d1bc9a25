/**
 * The operator's customer picker in the header: every customer (GET /api/v1/customers), searchable;
 * the choice is kept for the browser tab (api/tenant.ts) and sent as X-Tenant-ID.
 */
import { Select } from '@mantine/core';
import { useEffect, useState } from 'react';
import { api, unwrap, type Schemas } from '../api/client';
import { notifyError } from '../api/field-errors';
import { chooseTenant, useChosenTenant } from '../api/tenant';

export function CustomerPicker() {
  const tenant = useChosenTenant();
  const [customers, setCustomers] = useState<Schemas['Customer'][] | null>(null);
  useEffect(() => {
    let live = true;
    api.GET('/api/v1/customers').then(
      (r) => {
        if (!live) return;
        const list = unwrap(r).data;
        setCustomers(list);
        if (tenant && !list.some((c) => c.id === tenant)) chooseTenant(null);
      },
      (err: unknown) => live && notifyError(err, 'Customers could not be loaded'),
    );
    return () => {
      live = false;
    };
    // The list is read once per page load (a stale choice is dropped then); choosing changes nothing in it.
  }, []);
  return (
    <Select
      aria-label="Customer"
      placeholder={customers ? 'Choose a customer' : 'Loading customers…'}
      data={(customers ?? []).map((c) => ({ value: c.id, label: c.name }))}
      value={tenant}
      onChange={chooseTenant}
      searchable
      clearable
      nothingFoundMessage="No such customer"
      w={{ base: 150, sm: 240 }}
      size="sm"
    />
  );
}
