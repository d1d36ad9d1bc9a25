/** The /calls page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function CallsPage() {
  return <PageState title="Calls" loading />;
}
