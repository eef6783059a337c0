// One error type for everything a user may see. `message` is always safe to show;
// `cause` is for the log only. The code table decides HTTP and exit statuses.

export const ERROR_CODES = {
  usage: { http: 400, exit: 2 },
  invalid_input: { http: 400, exit: 1 },
  not_found: { http: 404, exit: 1 },
  conflict: { http: 409, exit: 1 },
  unauthenticated: { http: 401, exit: 1 },
  forbidden: { http: 403, exit: 1 },
  payment_required: { http: 402, exit: 1 },
  request_timeout: { http: 408, exit: 1 },
  too_large: { http: 413, exit: 1 },
  headers_too_large: { http: 431, exit: 1 },
  rate_limited: { http: 429, exit: 1 },
  upgrade_required: { http: 426, exit: 1 },
  not_configured: { http: 503, exit: 1 },
  unavailable: { http: 503, exit: 1 },
  not_implemented: { http: 501, exit: 1 },
  upstream_unreachable: { http: 502, exit: 1 },
  upstream_timeout: { http: 504, exit: 1 },
  config: { http: 500, exit: 1 },
  internal: { http: 500, exit: 1 },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.hint = options.hint;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get exitStatus(): number {
    return ERROR_CODES[this.code].exit;
  }
}

export function isGatehouseError(err: unknown): err is GatehouseError {
  return err instanceof GatehouseError;
}

/** Anything that is not a GatehouseError is a bug: callers log it and show this instead. */
export function asPublicError(err: unknown): GatehouseError {
  if (isGatehouseError(err)) return err;
  return new GatehouseError('internal', 'internal error; the operator can find details in the server log', { cause: err });
}
