/**
 * One API read of a page: `const list = useLoad(() => fetchSomething(), [filter])` gives
 * `{ data, error, loading, reload }`. It loads again when a dependency changes (the old data is
 * dropped, `loading` is true) and on `reload()` (the old data stays shown while the new one comes,
 * so a list does not blink after a change). An answer that arrives after the page moved on is
 * ignored. `error` is what the load threw (an ApiError from `unwrap`), for PageState.
 */
import { useCallback, useEffect, useState, type DependencyList } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  /** True while there is nothing to show yet. */
  loading: boolean;
  reload(): void;
}

export function useLoad<T>(load: () => Promise<T>, deps: DependencyList): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    setState({ data: undefined, error: null, loading: true });
  }, deps); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => {
    let live = true;
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, attempt]); // eslint-disable-line react-hooks/exhaustive-deps
  const reload = useCallback(() => setAttempt((a) => a + 1), []);
  return { ...state, reload };
}
