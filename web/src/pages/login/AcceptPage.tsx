/** The /accept page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function AcceptPage() {
  return <PageState title="Set your password" loading />;
}
