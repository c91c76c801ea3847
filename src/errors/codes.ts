import { GraphQLError, type GraphQLFormattedError } from 'graphql';

/** Each code a client can see: what it means and the HTTP status of a response carrying it. */
const REGISTRY = {
  PRIVACY_REDACTED: {
    description:
      'A confidential field was withheld: no statutory exception applies to this caller.',
    status: 200,
  },
  UNAUTHENTICATED: {
    description:
      'The bearer token is malformed, expired, not yet valid or wrongly signed; never a silent downgrade to anonymous.',
    status: 401,
  },
  FORBIDDEN: { description: "The caller's role may not perform this operation.", status: 200 },
  BAD_USER_INPUT: { description: 'The input breaks a rule; the message says which.', status: 200 },
  NOT_FOUND: {
    description:
      'The public thing named does not exist (never used where existence is confidential).',
    status: 200,
  },
  INTERNAL_SERVER_ERROR: {
    description: 'Something failed inside; details are logged, not returned.',
    status: 200,
  },
  OPERATION_TOO_COMPLEX: {
    description:
      "The operation exceeds a limit (depth, aliases, tokens, cost, ...); the message names the limit and the operation's figure.",
    status: 400,
  },
  OPERATION_NOT_TRUSTED: {
    description:
      'Trusted-documents mode (TRUSTED_DOCUMENTS_MODE=require): the operation is not in the manifest of registered operations, so nothing of it was run.',
    status: 403,
  },
  PERSISTED_QUERY_NOT_FOUND: {
    description:
      'Automatic persisted queries: the hash is not registered (any more); send the query with its hash to register it.',
    status: 200,
  },
  PERSISTED_QUERY_NOT_SUPPORTED: {
    description:
      'Automatic persisted queries are off (PERSISTED_QUERIES=off); send the query itself.',
    status: 200,
  },
  PERSISTED_QUERY_INVALID: {
    description:
      'The `persistedQuery` extension is malformed (version, hash) or its sha256Hash does not match the query sent; the message says which.',
    status: 400,
  },
  RATE_LIMITED: {
    description: 'Too many requests from this caller; retry after the `Retry-After` header.',
    status: 429,
  },
  PAYLOAD_TOO_LARGE: { description: 'The request body is over the size limit.', status: 413 },
  BAD_REQUEST: {
    description:
      'The HTTP request cannot be read as GraphQL (content type, malformed JSON); Apollo Server uses the same code.',
    status: 400,
  },
  TIMEOUT: { description: "The request's deadline passed; what was ready is served.", status: 200 },
  SERVICE_UNAVAILABLE: {
    description:
      'A service of the graph is down, its database is busy, or it answered something unusable; the fields it serves are null, the rest is served.',
    status: 200,
  },
} as const;

/** A code from the registry. */
export type ErrorCode = keyof typeof REGISTRY;

/** One registered code: its meaning, its HTTP status and the builder of its client-facing error. */
export type RegisteredError<C extends ErrorCode> = (typeof REGISTRY)[C] & {
  /** The client-facing error of this code (`ERRORS.FORBIDDEN.err('...')`). */
  err(message: string): GraphQLError;
  /** The same error as it goes out in a response, for code that writes a response itself. */
  formatted(message: string, path?: readonly (string | number)[]): GraphQLFormattedError;
};

/**
 * The one registry of error codes a client can see (CONTRACT.md, "Error codes"). Every error the
 * graph returns is built here, so a code, its HTTP status and its meaning are written once.
 */
export const ERRORS = Object.fromEntries(
  (Object.keys(REGISTRY) as ErrorCode[]).map((code) => [
    code,
    {
      ...REGISTRY[code],
      err: (message: string) => graphError(code, message),
      formatted: (message: string, path?: readonly (string | number)[]) =>
        formattedError(code, message, path),
    },
  ]),
) as { readonly [C in ErrorCode]: RegisteredError<C> };

/** The fixed redaction message: it never carries a value, a name or an id. */
export const REDACTED_MESSAGE = 'Redacted: confidential patron information';

/**
 * Builds the client-facing error for `code`; only these reach a client unmasked. The builder behind
 * each `ERRORS.X.err`, for a code known only at run time (a subgraph's error passed on).
 */
export function graphError(code: ErrorCode, message: string): GraphQLError {
  const status = REGISTRY[code].status;
  return new GraphQLError(message, {
    extensions: status === 200 ? { code } : { code, http: { status } },
  });
}

/**
 * The client-facing error for `code` as it goes out in a response (after masking: message, path
 * and the code alone), for code that edits a serialized or formatted response.
 */
export function formattedError(
  code: ErrorCode,
  message: string,
  path?: readonly (string | number)[],
): GraphQLFormattedError {
  return { message, ...(path ? { path } : {}), extensions: { code } };
}

/** The redaction of the field at `path` as it goes out in a response (CONTRACT.md, "Redaction"). */
export function formattedRedaction(path?: readonly (string | number)[]): GraphQLFormattedError {
  return ERRORS.PRIVACY_REDACTED.formatted(REDACTED_MESSAGE, path);
}

/**
 * The error that stands in for a redacted field (CONTRACT.md, "Redaction"). Built without a stack
 * trace: a list can redact thousands of fields, the trace says nothing a client may see, and
 * graphql-js reuses this error's (empty) stack when it adds the path.
 */
export function redactedError(): GraphQLError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return ERRORS.PRIVACY_REDACTED.err(REDACTED_MESSAGE);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** True for the codes a client may see as they are; anything else is masked. */
export function isKnownCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(REGISTRY, code);
}
