import type { DocumentStore } from '@apollo/server';
import type { DocumentNode } from 'graphql';
import { BoundedCache } from './boundedCache.js';
import type { TrustedDocuments } from './trustedDocuments.js';

/** Documents parsed at run time that the store keeps, and the source characters they may add up to. */
const RUNTIME_ENTRIES = 1000;
const RUNTIME_SOURCE_CHARS = 2 * 1024 * 1024;

/**
 * Apollo Server's document store (parsed and validated documents by `<schema hash>:<sha256 of the
 * query>`) with the manifest's documents in it from the start: a registered operation is never
 * parsed or validated at run time. Other documents are kept as Apollo keeps them, in a bounded
 * least-recently-used cache (sized by their source text, which a parsed document grows with).
 */
export class TrustedDocumentStore implements DocumentStore {
  private readonly runtime = new BoundedCache<DocumentNode>(
    RUNTIME_ENTRIES,
    RUNTIME_SOURCE_CHARS,
    (key, document) => key.length + (document.loc?.end ?? 1000),
  );

  constructor(private readonly trusted: TrustedDocuments | null) {}

  async get(key: string): Promise<DocumentNode | undefined> {
    // The key's last part is the query's SHA-256; the manifest was validated against the one schema the gateway serves.
    return (
      this.trusted?.documentByHash(key.slice(key.lastIndexOf(':') + 1)) ?? this.runtime.get(key)
    );
  }

  async set(key: string, value: DocumentNode): Promise<void> {
    if (this.trusted?.documentByHash(key.slice(key.lastIndexOf(':') + 1))) return;
    this.runtime.set(key, value);
  }

  async delete(key: string): Promise<boolean> {
    return this.runtime.delete(key);
  }
}
