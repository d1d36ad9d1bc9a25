/** The /extensions page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function ExtensionsPage() {
  return <PageState title="Extensions" loading />;
}
