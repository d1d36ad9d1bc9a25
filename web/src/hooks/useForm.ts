/**
 * A form's values and the API's field errors together: `const f = useForm('trunk', initial, fields)`,
 * inputs with `id={f.idOf('host')}`, `value={f.values.host}`, `error={f.errors.host}`,
 * `onChange={(e) => f.set('host', e.currentTarget.value)}`, and in the submit handler
 * `catch (err) { f.showError(err, 'The trunk was not saved') }`: an error naming one of `fields`
 * (api/field-errors.ts) appears under that field and the keyboard focus moves to it; any other is
 * a red notification. Input ids are `<idPrefix>-<field>` with dots as dashes, so the API's
 * `businessHours.monday.start` is the input `number-businessHours-monday-start`.
 */
import { useCallback, useState } from 'react';
import { asApiError } from '../api/client';
import { useFieldErrors } from '../api/field-errors';

export interface Form<T> {
  values: T;
  /** Message per field (the API's field names). */
  errors: Partial<Record<string, string>>;
  set: <K extends keyof T & string>(field: K, value: T[K]) => void;
  /** The id of the input of an API field. */
  idOf: (field: string) => string;
  /** Shows a failed save at its field (focused) or as a notification; true when at a field. */
  showError: (err: unknown, title: string) => boolean;
  /** Clears every field's message (call before submitting). */
  clearErrors: () => void;
}

/** The id of the input of an API field in the form `idPrefix`. */
export const fieldId = (idPrefix: string, field: string): string => `${idPrefix}-${field.replaceAll('.', '-')}`;

/**
 * @param idPrefix unique per form on a page, e.g. `trunk`
 * @param initial the values the form opens with
 * @param fields the API field names the form shows
 */
export function useForm<T extends object>(idPrefix: string, initial: T, fields: readonly string[]): Form<T> {
  const [values, setValues] = useState(initial);
  const fe = useFieldErrors(fields);
  const set = useCallback(<K extends keyof T & string>(field: K, value: T[K]) => setValues((v) => ({ ...v, [field]: value })), []);
  const idOf = useCallback((field: string) => fieldId(idPrefix, field), [idPrefix]);
  const { show, clear } = fe;
  const showError = useCallback((err: unknown, title: string) => {
    const placed = show(err, title);
    const field = asApiError(err).field;
    if (placed && field) document.getElementById(fieldId(idPrefix, field))?.focus();
    return placed;
  }, [show, idPrefix]);
  return { values, errors: fe.errors, set, idOf, showError, clearErrors: clear };
}
