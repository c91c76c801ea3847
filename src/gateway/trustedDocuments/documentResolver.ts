import { ERRORS, type ErrorCode } from '../../errors/codes.js';
import { HttpRefusal } from '../../http/serve.js';
import type { Logger } from '../../log/logger.js';
import { BoundedCache } from './boundedCache.js';
import type {
  TrustedDocumentsConfig,
  TrustedDocumentsMode,
} from '../../config/trustedDocuments.js';
import { sha256Hex, type TrustedDocuments } from './trustedDocuments.js';

/** One GraphQL request as sent: a POST body, or a GET query string read into the same fields. */
export type OperationFields = Record<string, unknown>;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Persisted-query answers must never be cached by a proxy: the next request registers the hash. */
const NO_STORE = { 'cache-control': 'private, no-cache, must-revalidate' };

const refusal = (code: ErrorCode, message: string, headers?: Record<string, string>) =>
  new HttpRefusal(ERRORS[code].status, code, message, headers);

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `extensions.persistedQuery` of a request (Apollo's protocol, version 1), or null without one. */
function persistedQueryOf(operation: OperationFields): { hash: string } | null {
  if (!isObject(operation.extensions) || operation.extensions.persistedQuery === undefined)
    return null;
  const persisted = operation.extensions.persistedQuery;
  if (!isObject(persisted))
    throw refusal(
      'PERSISTED_QUERY_INVALID',
      'extensions.persistedQuery must be an object: { "version": 1, "sha256Hash": "<hash>" }.',
    );
  if (persisted.version !== 1)
    throw refusal(
      'PERSISTED_QUERY_INVALID',
      `Unsupported persisted query version ${JSON.stringify(persisted.version) ?? 'undefined'}: only version 1 is served.`,
    );
  if (typeof persisted.sha256Hash !== 'string' || persisted.sha256Hash === '') {
    throw refusal(
      'PERSISTED_QUERY_INVALID',
      'extensions.persistedQuery.sha256Hash must be a non-empty string.',
    );
  }
  return { hash: persisted.sha256Hash };
}

/** The request without its `persistedQuery` extension (and without `extensions` once nothing else is left). */
function withoutPersistedQuery(operation: OperationFields): OperationFields {
  if (!isObject(operation.extensions) || operation.extensions.persistedQuery === undefined)
    return operation;
  const { persistedQuery: _persisted, ...extensions } = operation.extensions;
  const { extensions: _extensions, ...rest } = operation;
  return Object.keys(extensions).length ? { ...rest, extensions } : rest;
}

/** A hash as it may appear in a message: enough to recognise, never a whole client-chosen string. */
const shown = (id: string): string => JSON.stringify(id.length > 80 ? `${id.slice(0, 80)}...` : id);

/**
 * Turns each request into the text of the operation it stands for, before the operation limits
 * or anything else reads it: a manifest id or a registered text becomes the manifest's body (whose
 * parsed document Apollo Server already holds), an automatic persisted query's hash becomes the
 * text registered under it. So whichever way a document arrives it is measured by the limits and
 * run through the privacy pipeline as the text it is; the cache maps hashes to text and is trusted
 * for nothing else. In `require` mode anything the manifest does not hold is refused here, before
 * it is parsed. The `persistedQuery` extension never reaches Apollo Server, which takes none.
 */
export class DocumentResolver {
  /** Hash -> text of automatic persisted queries (null: not taken). */
  private readonly persisted: BoundedCache<string> | null;
  private readonly mode: TrustedDocumentsMode;

  constructor(
    config: TrustedDocumentsConfig,
    private readonly trusted: TrustedDocuments | null,
    private readonly logger?: Logger,
  ) {
    this.mode = trusted ? config.mode : 'off';
    const { enabled, maxEntries, maxBytes } = config.persistedQueries;
    this.persisted =
      enabled && this.mode !== 'require'
        ? new BoundedCache<string>(
            maxEntries,
            maxBytes,
            (hash, text) => hash.length + Buffer.byteLength(text),
          )
        : null;
  }

  /** The request with the operation text it stands for; throws an HttpRefusal when it stands for none it may run. */
  resolve(operation: OperationFields): OperationFields {
    const persisted = persistedQueryOf(operation);
    const query = operation.query;
    if (this.trusted && this.mode !== 'off') {
      const registered = persisted ? this.trusted.byId(persisted.hash) : undefined;
      if (registered) {
        if (
          query !== undefined &&
          (typeof query !== 'string' || this.trusted.byText(query) !== registered)
        ) {
          throw refusal(
            'PERSISTED_QUERY_INVALID',
            `The query sent is not the operation registered under id ${shown(registered.id)} (${registered.name}); send the id alone.`,
          );
        }
        return { ...withoutPersistedQuery(operation), query: registered.body };
      }
      const known = typeof query === 'string' ? this.trusted.byText(query) : undefined;
      if (known) return { ...withoutPersistedQuery(operation), query: known.body };
      // Logged as the request log shows a query: a short hash of its text (or of the id sent), never the text or its name.
      const shortHash = (
        typeof query === 'string' ? sha256Hex(query) : sha256Hex(persisted?.hash ?? '')
      ).slice(0, 12);
      if (this.mode === 'require') {
        this.logger?.warn({ query: shortHash }, 'operation not trusted');
        throw refusal(
          'OPERATION_NOT_TRUSTED',
          persisted && query === undefined
            ? `Operation not trusted: no operation is registered under id ${shown(persisted.hash)}; this gateway runs only the operations of its trusted-documents manifest (TRUSTED_DOCUMENTS).`
            : 'Operation not trusted: this gateway runs only the operations of its trusted-documents manifest (TRUSTED_DOCUMENTS); register it with npm run trusted-documents -- build.',
        );
      }
      this.logger?.info({ query: shortHash }, 'operation not in the trusted-documents manifest');
    }
    if (!persisted) return operation;
    if (!this.persisted)
      throw refusal(
        'PERSISTED_QUERY_NOT_SUPPORTED',
        'PersistedQueryNotSupported: automatic persisted queries are off (PERSISTED_QUERIES=off); send the query itself.',
        NO_STORE,
      );
    if (!SHA256_HEX.test(persisted.hash)) {
      throw refusal(
        'PERSISTED_QUERY_INVALID',
        `extensions.persistedQuery.sha256Hash must be the SHA-256 of the query in 64 lowercase hex digits, got ${shown(persisted.hash)}.`,
      );
    }
    const rest = withoutPersistedQuery(operation);
    if (query === undefined) {
      const text = this.persisted.get(persisted.hash);
      if (text === undefined)
        throw refusal('PERSISTED_QUERY_NOT_FOUND', 'PersistedQueryNotFound', NO_STORE);
      return { ...rest, query: text };
    }
    if (typeof query !== 'string') return rest;
    if (sha256Hex(query) !== persisted.hash) {
      throw refusal(
        'PERSISTED_QUERY_INVALID',
        `extensions.persistedQuery.sha256Hash ${shown(persisted.hash)} does not match the query sent, whose SHA-256 is ${sha256Hex(query)}.`,
      );
    }
    this.persisted.set(persisted.hash, query);
    return { ...rest, query };
  }

  /** How many automatic persisted queries are held, and their size in bytes. */
  get persistedSize(): { entries: number; bytes: number } {
    return { entries: this.persisted?.size ?? 0, bytes: this.persisted?.totalSize ?? 0 };
  }
}
