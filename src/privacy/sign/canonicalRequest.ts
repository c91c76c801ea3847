import { createHash } from 'node:crypto';

/**
 * Everything about one HTTP request that a disclosure-context signature binds, as in AWS
 * Signature v4's canonical request: a signature over the context and body alone let a captured
 * POST be re-sent as `GET /graphql?query=...` and run another operation under the same context.
 */
export interface SignedRequestParts {
  /** Who the request is for (a subgraph's name, or `circulation-facts`). */
  audience: string;
  /** Milliseconds since the epoch, as written in the signature header. */
  time: string;
  nonce: string;
  /** The HTTP method, e.g. `POST`. */
  method: string;
  /** The request target as sent: path and optional `?query`. */
  target: string;
  /** The Content-Type header (empty when absent). */
  contentType: string;
  /** The encoded disclosure context, as sent in its header. */
  context: string;
  /** The exact body bytes. */
  body: string | Uint8Array;
}

/** RFC 3986 encoding of one query component (AWS SigV4's UriEncode). */
const uriEncode = (text: string): string =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
};

/**
 * The query string in canonical form: each name and value decoded and re-encoded (RFC 3986),
 * sorted by name then value, joined by `&`; empty when there is none. Two spellings of the same
 * parameters sign alike, any other change does not.
 */
export function canonicalQuery(query: string): string {
  if (query === '') return '';
  return query
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const at = pair.indexOf('=');
      const [name, value] = at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
      return [uriEncode(decode(name)), uriEncode(decode(value))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** The base64url SHA-256 of the exact body bytes. */
export const bodyDigest = (body: string | Uint8Array): string =>
  createHash('sha256').update(body).digest('base64url');

/**
 * The text that is signed: one line per part, in a fixed order. The path is taken byte for byte
 * (no normalization), so `/a/../graphql` does not sign like `/graphql`.
 */
export function canonicalRequest(parts: SignedRequestParts): string {
  const at = parts.target.indexOf('?');
  const path = at < 0 ? parts.target : parts.target.slice(0, at);
  const query = at < 0 ? '' : parts.target.slice(at + 1);
  return [
    'LIBRARY-CONTEXT-V2',
    parts.audience,
    parts.time,
    parts.nonce,
    parts.method.toUpperCase(),
    path,
    canonicalQuery(query),
    parts.contentType.trim().toLowerCase(),
    parts.context,
    bodyDigest(parts.body),
  ].join('\n');
}
