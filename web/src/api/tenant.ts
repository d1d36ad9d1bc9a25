/**
 * The customer an operator works on, chosen in the header's picker (layout/CustomerPicker.tsx) and
 * kept in sessionStorage (per browser tab, gone when the tab closes). api/client.ts sends it as
 * X-Tenant-ID; useChosenTenant re-renders when it changes.
 */
import { useSyncExternalStore } from 'react';

const KEY = 'switchplane.tenantId';
const listeners = new Set<() => void>();

/** The chosen customer's id, or null. */
export function chosenTenant(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Chooses a customer (null: none). */
export function chooseTenant(id: string | null): void {
  if (id) sessionStorage.setItem(KEY, id);
  else sessionStorage.removeItem(KEY);
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The chosen customer's id, re-rendering when the picker changes it. */
export function useChosenTenant(): string | null {
  return useSyncExternalStore(subscribe, chosenTenant);
}
