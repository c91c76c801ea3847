import { ERRORS, type ErrorCode } from './codes.js';

/**
 * A refusal raised before GraphQL runs (bad signature, bad token, a body too large): the HTTP
 * status and the registered error code the HTTP adapter answers with. It lives with the error
 * registry so the layers below HTTP (authentication, signature checks) can refuse without
 * importing the adapter.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Headers the answer carries besides its content type (e.g. cache-control). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

/** The codes whose registered status is an HTTP error, not a 200 carrying GraphQL errors. */
export type RefusalCode = {
  [C in ErrorCode]: (typeof ERRORS)[C]['status'] extends 200 ? never : C;
}[ErrorCode];

/** Builds the refusal of a registered code, with the status the registry gives it. */
export function refusal(code: RefusalCode, message: string): HttpRefusal {
  return new HttpRefusal(ERRORS[code].status, code, message);
}
