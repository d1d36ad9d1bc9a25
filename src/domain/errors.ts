/**
 * Errors the domain modules throw about what a client asked for. They name no HTTP status: the
 * API's error handler (src/api/errors.ts) answers them, FieldError as 400 with its code,
 * NotFoundError as 404 `not_found`, ConflictError as 409 `conflict`, each naming its field.
 */

/**
 * A value a client sent that cannot be stored; `field` is the camelCase input field (or
 * `field.sub`), `code` the REST error code: `destination_not_allowed` for a host or URL the
 * destination policy refuses, else `validation_failed`.
 */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
    readonly code: 'validation_failed' | 'destination_not_allowed' = 'validation_failed',
  ) {
    super(message);
    this.name = 'FieldError';
  }

  /** The same error about `field` instead, e.g. to answer in another API's field names. */
  renamed(field: string): FieldError {
    return new FieldError(field, this.message, this.code);
  }
}

/** A record the caller's tenant does not have: `<what> not found`, or `message` naming `field`. */
export class NotFoundError extends Error {
  constructor(
    readonly what: string,
    readonly field?: string,
    message = `${what} not found`,
  ) {
    super(message);
    this.name = 'NotFoundError';
  }
}

/** A change the record's present state does not allow, naming the field at fault. */
export class ConflictError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}
