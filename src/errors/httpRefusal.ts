/**
 * A refusal raised before GraphQL runs (bad signature, bad token, a body too large): the HTTP
 * status and the error code the HTTP adapter answers with. It lives with the error registry so
 * the layers below HTTP (authentication, signature checks) can refuse without importing the
 * adapter.
 */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
