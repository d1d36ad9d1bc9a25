/**
 * The portal's Mantine theme. Required inputs keep `required` (announced by screen readers, checked
 * by the browser) but show no asterisk inside their label, so a field's accessible label is exactly
 * its text ("Email", "Host") for people and for tests finding fields by label.
 */
import { createTheme, type MantineThemeComponents } from '@mantine/core';

const NO_ASTERISK = ['TextInput', 'PasswordInput', 'NumberInput', 'Textarea', 'Select', 'MultiSelect', 'Autocomplete', 'TagsInput', 'NativeSelect', 'InputWrapper', 'TimeInput', 'DateInput', 'DateTimePicker', 'DatePickerInput'];

export const theme = createTheme({
  primaryColor: 'indigo',
  defaultRadius: 'md',
  fontFamily: 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  components: Object.fromEntries(NO_ASTERISK.map((name) => [name, { defaultProps: { withAsterisk: false } }])) as MantineThemeComponents,
});
