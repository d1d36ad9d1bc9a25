/**
 * A start-up failure the operator fixes (a setting, the secrets key, a data directory in use).
 * src/main.ts prints its message alone on stderr and exits with status 1, without a stack trace;
 * any other error at start keeps its stack. The message is one paragraph: what is wrong, with
 * which file or variable, and how to fix it.
 */
export class StartupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Runs a command's body (src/main.ts, scripts/*): a StartupError is printed alone on stderr and
 * ends the process with status 1; any other error is thrown on, with its stack.
 */
export async function runExplainingStartupErrors(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    if (!(err instanceof StartupError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
}
