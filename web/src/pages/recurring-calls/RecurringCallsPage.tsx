/** The /recurring-calls page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function RecurringCallsPage() {
  return <PageState title="Recurring calls" loading />;
}
