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
