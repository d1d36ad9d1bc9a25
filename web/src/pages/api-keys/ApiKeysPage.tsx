/** The /api-keys page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function ApiKeysPage() {
  return <PageState title="API keys" loading />;
}
