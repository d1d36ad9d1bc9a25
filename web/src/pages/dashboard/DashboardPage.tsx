/** The / page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function DashboardPage() {
  return <PageState title="Dashboard" loading />;
}
