import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  HeaderMap,
  type ApolloServer,
  type BaseContext,
  type HTTPGraphQLResponse,
} from '@apollo/server';
import { ERRORS, formattedError, type ErrorCode } from '../errors/codes.js';
import { HttpRefusal, refusal } from '../errors/httpRefusal.js';
import type { ReadinessReport } from '../observability/readiness.js';
import { withServerSpan, type Tracing } from '../observability/tracing.js';
import { SharedExecutions, type ShareRules } from './sharedExecutions.js';

/** The largest request body accepted unless configured: a GraphQL operation is small, a flood is not. */
const DEFAULT_BODY_BYTES = 1024 * 1024;

/**
 * How much of an oversized body is read and discarded after the 413 is sent, so the client reads
 * its answer instead of a connection reset; a client sending more than this is cut off.
 */
const DRAIN_FACTOR = 16;

/** One incoming HTTP request as the handlers see it: headers and the raw body bytes. */
export interface RawRequest {
  req: http.IncomingMessage;
  body: Buffer;
}

/** A handler for a path other than /graphql; returns false to fall through to 404. */
export type Route = (request: RawRequest, res: http.ServerResponse) => Promise<boolean> | boolean;

/** The refusal the handlers throw; the adapter answers it with its status and code. */
export { HttpRefusal };

/** Sends a JSON body with a status. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const sendError = (
  res: http.ServerResponse,
  status: number,
  code: ErrorCode,
  message: string,
  headers?: Record<string, string>,
): void => {
  for (const [name, value] of Object.entries(headers ?? {})) res.setHeader(name, value);
  sendJson(res, status, { errors: [formattedError(code, message)] });
};

const bytes = (n: number): string => n.toLocaleString('en-US');

/**
 * Reads the body up to `limit` bytes. A larger one (declared or sent) is refused with 413
 * PAYLOAD_TOO_LARGE at once, while the rest is read and dropped so the answer arrives instead of a
 * reset; nothing of it is kept.
 */
function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const refuse = (seen: string) => {
      req.removeListener('data', onData);
      chunks.length = 0;
      let drained = 0;
      req.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained > limit * DRAIN_FACTOR) req.destroy();
      });
      req.resume();
      reject(
        refusal(
          'PAYLOAD_TOO_LARGE',
          `Request body too large: ${seen} is over the limit of ${bytes(limit)} bytes (LIMIT_BODY_BYTES).`,
        ),
      );
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) refuse(`${bytes(size)} bytes received so far`);
      else chunks.push(chunk);
    };
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      refuse(`${bytes(declared)} bytes`);
      return;
    }
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The operations a request carries, as the GraphQL server will read them (POST body or GET query string). */
function operationsOf(method: string | undefined, url: URL, body: unknown): OperationRequest[] {
  if (method === 'GET') {
    const variables = url.searchParams.get('variables');
    let parsed: unknown = undefined;
    try {
      parsed = variables ? JSON.parse(variables) : undefined;
    } catch {
      // The GraphQL server answers malformed variables itself.
    }
    return [{ query: url.searchParams.get('query') ?? undefined, variables: parsed }];
  }
  const list = Array.isArray(body) ? (body as unknown[]) : [body];
  return list
    .filter((b): b is Record<string, unknown> => typeof b === 'object' && b !== null)
    .map((b) => ({ query: b.query, variables: b.variables }));
}

/**
 * Applies `resolve` to each operation a request carries, in place: the POST body's objects, or the
 * GET query string's `query` and `extensions` (read as JSON, written back only when changed).
 */
function resolveOperations(
  method: string | undefined,
  url: URL,
  body: unknown,
  resolve: (operation: Record<string, unknown>) => Record<string, unknown>,
): unknown {
  const isOperation = (b: unknown): b is Record<string, unknown> =>
    typeof b === 'object' && b !== null && !Array.isArray(b);
  if (method !== 'GET')
    return Array.isArray(body)
      ? body.map((b) => (isOperation(b) ? resolve(b) : b))
      : isOperation(body)
        ? resolve(body)
        : body;
  const params = url.searchParams;
  // Without an operation a GET is a browser asking for the landing page: nothing to resolve.
  if (!params.has('query') && !params.has('extensions')) return body;
  const rawExtensions = params.get('extensions');
  let extensions: unknown = undefined;
  try {
    extensions = rawExtensions === null ? undefined : JSON.parse(rawExtensions);
  } catch {
    // The GraphQL server answers malformed extensions itself.
  }
  const operation = {
    query: params.get('query') ?? undefined,
    operationName: params.get('operationName') ?? undefined,
    extensions,
  };
  const resolved = resolve(operation);
  if (resolved === operation) return body;
  if (typeof resolved.query === 'string') params.set('query', resolved.query);
  if (resolved.extensions !== extensions) {
    if (resolved.extensions === undefined) params.delete('extensions');
    else params.set('extensions', JSON.stringify(resolved.extensions));
  }
  return body;
}

function parseJsonBody(request: RawRequest): unknown {
  if (request.req.method !== 'POST') return undefined;
  const type = request.req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw refusal('BAD_REQUEST', 'POST requests need Content-Type: application/json');
  }
  try {
    return JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    throw refusal('BAD_REQUEST', `Malformed JSON body: ${(error as Error).message}`);
  }
}

/** One GraphQL operation as a request carries it, before anything parses it. */
export interface OperationRequest {
  query: unknown;
  variables: unknown;
}

/** Options for serving one Apollo server over plain `node:http`. */
export interface ServeOptions<Ctx extends BaseContext> {
  host: string;
  port: number;
  /** Builds the per-request context; throw an HttpRefusal to refuse the request. */
  context: (request: RawRequest) => Promise<Ctx>;
  /**
   * Runs first for every request but /health, before its body is read; false when it has answered
   * the request itself (a rate limit). May throw an HttpRefusal.
   */
  admit?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<boolean>;
  /** Runs before the body is parsed, e.g. to verify a signature over the raw bytes. */
  guard?: (request: RawRequest) => void | Promise<void>;
  /** Extra routes tried before /graphql (health is built in). */
  routes?: Route[];
  health?: () => Record<string, unknown>;
  /** `/ready`: 200 when every check passes, else 503; like /health, before rate limits and auth. */
  ready?: () => Promise<ReadinessReport>;
  /**
   * Routes for operators (`/metrics` with its own token), tried like /health before rate limits,
   * authentication and the body (they get none): a scraper's token is not a caller's.
   */
  operatorRoutes?: Route[];
  /** Each request handled inside a server span of this service (absent: tracing off, no overhead). */
  tracing?: { tracing: Tracing; service: string };
  /**
   * Runs once GraphQL has produced the response, serialized, and before any of it is sent; may
   * hold or replace it (a subgraph waits here for its disclosure audit: see auditSettler).
   */
  settle?: (context: Ctx, response: HTTPGraphQLResponse) => Promise<HTTPGraphQLResponse>;
  /**
   * Runs on each operation before context, parsing or execution (so before any subgraph is
   * called); throws an HttpRefusal to refuse it, e.g. an operation over the limits.
   */
  limitOperation?: (operation: OperationRequest) => void;
  /**
   * Runs on each operation before `limitOperation`: returns it with the text it stands for (a
   * persisted query's hash replaced by its text) or throws an HttpRefusal (an operation not trusted).
   */
  resolveOperation?: (operation: Record<string, unknown>) => Record<string, unknown>;
  /**
   * Identical requests in flight at once executed once (see SharedExecutions); each is still
   * guarded, limited, given its context and settled on its own.
   */
  share?: ShareRules<Ctx>;
  /** The largest request body (default 1 MiB) and response body (default: none) in bytes. */
  sizes?: { bodyBytes: number; responseBytes?: number };
}

/** A listening service and how to stop it gracefully (in-flight requests finish). */
export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** How long an idle keep-alive connection stays open (Node's default of 5 s races pooled clients). */
const KEEP_ALIVE_MS = 65_000;

/**
 * Creates the HTTP server first (Apollo's drain plugin needs it at construction), then serves
 * `/graphql` through `apollo`, `/health` for probes, and any extra routes.
 */
export async function serveGraphQL<Ctx extends BaseContext>(
  build: (httpServer: http.Server) => ApolloServer<Ctx>,
  options: ServeOptions<Ctx>,
): Promise<RunningServer> {
  const traced = options.tracing;
  const shared = options.share ? new SharedExecutions(options.share) : null;
  const httpServer = http.createServer((req, res) => {
    const handled = traced
      ? withServerSpan(traced.tracing.tracer, traced.service, req, res, () => handle(req, res))
      : handle(req, res);
    void handled.catch((error: unknown) => {
      if (error instanceof HttpRefusal)
        sendError(res, error.status, error.code, error.message, error.headers);
      else if (!res.headersSent)
        sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/health') {
      sendJson(res, 200, { status: 'ok', ...options.health?.() });
      return;
    }
    if (url.pathname === '/ready' && options.ready) {
      const report = await options.ready();
      sendJson(res, report.status === 'ready' ? 200 : 503, report);
      return;
    }
    for (const route of options.operatorRoutes ?? [])
      if (await route({ req, body: Buffer.alloc(0) }, res)) return;
    if (options.admit && !(await options.admit(req, res))) return;
    const request: RawRequest = {
      req,
      body: await readBody(req, options.sizes?.bodyBytes ?? DEFAULT_BODY_BYTES),
    };
    for (const route of options.routes ?? []) if (await route(request, res)) return;
    if (url.pathname !== '/graphql') {
      sendError(
        res,
        404,
        'NOT_FOUND',
        `No route ${url.pathname}; the GraphQL endpoint is /graphql`,
      );
      return;
    }
    await options.guard?.(request);
    const parsed = parseJsonBody(request);
    const body = options.resolveOperation
      ? resolveOperations(req.method, url, parsed, options.resolveOperation)
      : parsed;
    if (options.limitOperation)
      for (const operation of operationsOf(req.method, url, body))
        options.limitOperation(operation);
    const context = await options.context(request);
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const method = (req.method ?? 'GET').toUpperCase();
    const execute = () =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method, headers, search: url.search, body },
        context: async () => context,
      });
    const produced = shared
      ? await shared.run(context, { method, headers, raw: request.body, parsed: body }, execute)
      : await execute();
    const response = options.settle ? await options.settle(context, produced) : produced;
    const limit = options.sizes?.responseBytes;
    if (
      limit !== undefined &&
      response.body.kind === 'complete' &&
      response.body.string.length > limit / 4
    ) {
      const size = Buffer.byteLength(response.body.string);
      if (size > limit) {
        sendError(
          res,
          ERRORS.OPERATION_TOO_COMPLEX.status,
          'OPERATION_TOO_COMPLEX',
          `Response too large: ${bytes(size)} bytes is over the limit of ${bytes(limit)} (LIMIT_RESPONSE_BYTES); ask for fewer fields or smaller pages.`,
        );
        return;
      }
    }
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  // Keep idle connections open longer than a pooling client does (the gateway's agents keep
  // theirs), so the server is not the side that closes a connection a request is about to reuse.
  httpServer.keepAliveTimeout = KEEP_ALIVE_MS;
  httpServer.headersTimeout = KEEP_ALIVE_MS + 1_000;
  const apollo = build(httpServer);
  await apollo.start();
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost =
    options.host === '127.0.0.1' || options.host === '0.0.0.0' || options.host === '::'
      ? 'localhost'
      : options.host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    stop: async () => {
      await apollo.stop();
    },
  };
}
