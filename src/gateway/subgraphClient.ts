import { STATUS_CODES } from 'node:http';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { FetcherHeaders, FetcherResponse } from '@apollo/utils.fetcher';
import { Agent, type Dispatcher } from 'undici';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/** Headers of a buffered subgraph answer: names lower-case, read-only in practice. */
export class AnswerHeaders implements FetcherHeaders {
  private readonly map: Map<string, string>;

  constructor(entries: Iterable<[string, string]> = []) {
    this.map = new Map();
    for (const [name, value] of entries) this.append(name, value);
  }

  /** From undici's raw header record, where a repeated header is an array. */
  static fromRecord(record: Record<string, string | string[] | undefined>): AnswerHeaders {
    const headers = new AnswerHeaders();
    for (const name in record) {
      const value = record[name];
      if (value !== undefined)
        headers.map.set(name.toLowerCase(), Array.isArray(value) ? value.join(', ') : value);
    }
    return headers;
  }

  append(name: string, value: string): void {
    const key = name.toLowerCase();
    const had = this.map.get(key);
    this.map.set(key, had === undefined ? value : `${had}, ${value}`);
  }
  delete(name: string): void {
    this.map.delete(name.toLowerCase());
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string): void {
    this.map.set(name.toLowerCase(), value);
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  values(): IterableIterator<string> {
    return this.map.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

/**
 * A subgraph's answer read in full: what `RemoteGraphQLDataSource` reads of a Fetch API response
 * (status, headers, text or JSON), without streams. Its text is immutable, so copies for callers
 * that share one fetch cost nothing and cannot affect one another.
 */
export class BufferedAnswer implements FetcherResponse {
  readonly redirected = false;
  readonly ok: boolean;
  readonly statusText: string;
  #used = false;

  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: AnswerHeaders,
    private readonly body: string,
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = STATUS_CODES[status] ?? '';
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  text(): Promise<string> {
    if (this.#used) return Promise.reject(new TypeError('Body already read'));
    this.#used = true;
    return Promise.resolve(this.body);
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = Buffer.from(await this.text(), 'utf8');
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  /** A fresh, unread copy with its own headers. */
  clone(): BufferedAnswer {
    return new BufferedAnswer(this.url, this.status, new AnswerHeaders(this.headers), this.body);
  }
}

/** How the gateway talks to its subgraphs. */
export interface SubgraphClientOptions {
  /** The request deadline (REQUEST_DEADLINE_MS): the socket timeouts sit well beyond it. */
  deadlineMs: number;
  /**
   * The largest answer read from a subgraph; a larger one fails the fetch (SERVICE_UNAVAILABLE). A
   * memory guard against a runaway subgraph, not the client's limit: an answer over the client's
   * LIMIT_RESPONSE_BYTES must still reach the gateway's own check, which answers it with the clear
   * OPERATION_TOO_COMPLEX error.
   */
  maxResponseBytes: number;
  /** Open connections per subgraph origin. */
  connections?: number;
}

/** Connections per subgraph origin when not told: above the gateway's usual fan-out at load. */
const DEFAULT_CONNECTIONS = 128;

/**
 * The gateway's HTTP client for subgraph fetches: undici, one keep-alive pool per subgraph origin
 * (an `Agent` keeps one `Pool` per origin), no proxy or agent layers, each answer read whole into
 * a `BufferedAnswer`. A query's fetch is bounded by the request deadline (its signal); the socket
 * timeouts only catch a connection that went silent, which a mutation's fetch, never aborted by the
 * deadline, would otherwise wait on for ever: they are longer than any deadline, so a slow
 * mutation is still waited for and its caller learns its outcome.
 */
export class SubgraphClient {
  private readonly agent: Agent;
  private readonly origins = new Map<string, { origin: string; path: string }>();

  constructor(options: SubgraphClientOptions) {
    const silentMs = Math.max(60_000, 3 * options.deadlineMs);
    this.agent = new Agent({
      connections: options.connections ?? DEFAULT_CONNECTIONS,
      pipelining: 1,
      headersTimeout: silentMs,
      bodyTimeout: silentMs,
      // Subgraphs keep idle connections 65 s and say so (Keep-Alive: timeout=65): the pool honours
      // that hint, less undici's margin, and closes its side first.
      keepAliveMaxTimeout: 60_000,
      maxResponseSize: options.maxResponseBytes,
      connect: { timeout: 10_000 },
    });
  }

  /** The data source's fetcher: Fetch-API-compatible, over this client's pools. */
  readonly fetcher: Fetcher = (async (url, init) => {
    let target = this.origins.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      this.origins.set(url, target);
    }
    const answer = await this.agent.request({
      origin: target.origin,
      path: target.path,
      method: (init?.method ?? 'GET') as Dispatcher.HttpMethod,
      headers: init?.headers,
      body: init?.body ?? null,
      signal: init?.signal as AbortSignal | undefined,
    });
    const body = await answer.body.text();
    return new BufferedAnswer(
      url,
      answer.statusCode,
      AnswerHeaders.fromRecord(answer.headers),
      body,
    );
  }) as Fetcher;

  /** Closes every pooled connection once the fetches in flight end; the gateway calls it as it stops. */
  close(): Promise<void> {
    return this.agent.close();
  }
}
