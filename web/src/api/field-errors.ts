/**
 * The API's field errors at the form field they name: `const f = useFieldErrors(['name', 'host'])`,
 * `<TextInput label="Host" error={f.errors.host} />`, and in the submit handler
 * `catch (err) { f.show(err) }`: an error naming one of the form's fields appears under that
 * field; any other (or a field the form does not have) is a red notification.
 */
import { notifications } from '@mantine/notifications';
import { useCallback, useMemo, useState } from 'react';
import { asApiError } from './client';

/** Shows a failure as a red notification (title: what failed; message: the API's message). */
export function notifyError(err: unknown, title = 'That did not work'): void {
  notifications.show({ color: 'red', title, message: asApiError(err).message });
}

export interface FieldErrors {
  /** Message per field, for the inputs' `error` prop. */
  errors: Partial<Record<string, string>>;
  /** Puts `err` at its field when the form has it (true), else notifies it (false). */
  show(err: unknown, title?: string): boolean;
  /** Clears every field's message (call before submitting). */
  clear(): void;
}

/**
 * @param fields the form's field names as the API names them (a nested field such as
 *   `businessHours.monday` matches `businessHours` too)
 */
export function useFieldErrors(fields: readonly string[]): FieldErrors {
  const [errors, setErrors] = useState<Partial<Record<string, string>>>({});
  const key = fields.join('\n');
  const show = useCallback((err: unknown, title?: string) => {
    const e = asApiError(err);
    const known = key.split('\n');
    const field = e.field && (known.includes(e.field) ? e.field : known.find((f) => e.field!.startsWith(`${f}.`) || e.field!.startsWith(`${f}[`)));
    if (field) {
      setErrors({ [field]: e.message });
      return true;
    }
    notifyError(e, title);
    return false;
  }, [key]);
  const clear = useCallback(() => setErrors({}), []);
  return useMemo(() => ({ errors, show, clear }), [errors, show, clear]);
}
