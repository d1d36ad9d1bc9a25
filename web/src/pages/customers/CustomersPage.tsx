/** The /customers page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function CustomersPage() {
  return <PageState title="Customers" loading />;
}
