import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';

/** The largest request body accepted; a GraphQL operation is small, a flood is not. */
const MAX_BODY_BYTES = 1024 * 1024;

/** One incoming HTTP request as the handlers see it: headers and the raw body bytes. */
export interface RawRequest {
  req: http.IncomingMessage;
  body: Buffer;
}

/** A handler for a path other than /graphql; returns false to fall through to 404. */
export type Route = (request: RawRequest, res: http.ServerResponse) => Promise<boolean> | boolean;

/** A refusal raised before GraphQL runs (bad signature, bad token): status and error code. */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Sends a JSON body with a status. */
export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const sendError = (res: http.ServerResponse, status: number, code: string, message: string): void =>
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpRefusal(413, 'BAD_REQUEST', 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonBody(request: RawRequest): unknown {
  if (request.req.method !== 'POST') return undefined;
  const type = request.req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) {
    throw new HttpRefusal(400, 'BAD_REQUEST', 'POST requests need Content-Type: application/json');
  }
  try {
    return JSON.parse(request.body.toString('utf8'));
  } catch (error) {
    throw new HttpRefusal(400, 'BAD_REQUEST', `Malformed JSON body: ${(error as Error).message}`);
  }
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
  /**
   * Runs once GraphQL has produced the response, serialized, and before any of it is sent; may
   * hold or replace it (a subgraph waits here for its disclosure audit: see auditSettler).
   */
  settle?: (context: Ctx, response: HTTPGraphQLResponse) => Promise<HTTPGraphQLResponse>;
}

/** A listening service and how to stop it gracefully (in-flight requests finish). */
export interface RunningServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Creates the HTTP server first (Apollo's drain plugin needs it at construction), then serves
 * `/graphql` through `apollo`, `/health` for probes, and any extra routes.
 */
export async function serveGraphQL<Ctx extends BaseContext>(
  build: (httpServer: http.Server) => ApolloServer<Ctx>,
  options: ServeOptions<Ctx>,
): Promise<RunningServer> {
  const httpServer = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (error instanceof HttpRefusal) sendError(res, error.status, error.code, error.message);
      else if (!res.headersSent) sendError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/health') {
      sendJson(res, 200, { status: 'ok', ...options.health?.() });
      return;
    }
    if (options.admit && !(await options.admit(req, res))) return;
    const request: RawRequest = { req, body: await readBody(req) };
    for (const route of options.routes ?? []) if (await route(request, res)) return;
    if (url.pathname !== '/graphql') {
      sendError(res, 404, 'NOT_FOUND', `No route ${url.pathname}; the GraphQL endpoint is /graphql`);
      return;
    }
    await options.guard?.(request);
    const body = parseJsonBody(request);
    const context = await options.context(request);
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const produced = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
      context: async () => context,
    });
    const response = options.settle ? await options.settle(context, produced) : produced;
    for (const [key, value] of response.headers) res.setHeader(key, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  const apollo = build(httpServer);
  await apollo.start();
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;
  const shownHost = options.host === '127.0.0.1' || options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  return {
    url: `http://${shownHost}:${port}/graphql`,
    port,
    stop: async () => {
      await apollo.stop();
    },
  };
}
