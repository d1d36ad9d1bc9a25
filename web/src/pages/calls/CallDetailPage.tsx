/** The /calls/:id page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function CallDetailPage() {
  return <PageState title="Call" loading />;
}
