/**
 * The time budget of a mod_xml_curl lookup: FreeSWITCH waits for the answer on its sofia or
 * session thread (mod_xml_curl.c, binding `timeout` in whole seconds), so a lookup that is not
 * answered within the budget must give up and answer `not found` instead.
 */
export class BudgetExceeded extends Error {}

/**
 * Settles like `work`, or rejects with `BudgetExceeded` after `ms` milliseconds.
 */
export function withinBudget<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BudgetExceeded(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
