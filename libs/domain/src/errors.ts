/**
 * Typed errors with stable machine codes. The HTTP layer maps each code to a status
 * and a problem document; stores and the draw throw these and nothing else for
 * conditions a client can cause.
 */

export const ERROR_CODES = {
  validation_failed: 'The request is well-formed but invalid.',
  malformed_json: 'The body is not valid JSON.',
  malformed_csv: 'The body is not valid CSV.',
  unsupported_media_type: 'The body has the wrong content type.',
  payload_too_large: 'The body is too large.',
  unauthorized: 'A valid token is required.',
  not_found: 'Not found.',
  method_not_allowed: 'The method is not allowed on this resource.',
  already_drawn: 'The exchange has already been drawn.',
  duplicate_email: 'Somebody in this exchange already uses that e-mail address.',
  participant_limit: 'The exchange has reached its participant limit.',
  too_few_participants: 'A draw needs at least 3 participants.',
  infeasible_draw: 'No assignment satisfies the exclusions.',
  single_cycle_not_found: 'No single cycle through everybody was found.',
  idempotency_key_reused: 'The Idempotency-Key was already used with a different request.',
  idempotency_key_in_use: 'A request with this Idempotency-Key has just been processed.',
  service_unavailable: 'A dependency is unavailable; retry later.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  /** JSON Pointer into the request body (`/budget/amount`), or `/<line>/<column>` for CSV rows. */
  path: string;
  message: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    /** Human-readable, safe to show to the client. */
    readonly detail: string = ERROR_CODES[code],
    readonly errors?: FieldError[],
  ) {
    super(detail);
  }
}

/** The store cannot be reached right now; clients should retry after a short pause. */
export class StoreUnavailableError extends DomainError {
  constructor(
    detail = 'The database is unavailable; retry shortly.',
    readonly retryAfterSeconds = 1,
    options?: { cause?: unknown },
  ) {
    super('service_unavailable', detail);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

export function isDomainError(error: unknown, code?: ErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
