/** The /users page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function UsersPage() {
  return <PageState title="Users" loading />;
}
