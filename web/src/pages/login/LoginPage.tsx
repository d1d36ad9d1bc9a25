/** The /login page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function LoginPage() {
  return <PageState title="Log in" loading />;
}
