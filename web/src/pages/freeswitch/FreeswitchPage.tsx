/** The /freeswitch page (placeholder until the page is written: its title over a loader). */
import { PageState } from '../../components/PageState';

export function FreeswitchPage() {
  return <PageState title="FreeSWITCH configuration" loading />;
}
