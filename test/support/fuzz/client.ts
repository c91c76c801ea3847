import type { Config } from '../../../src/config/env.js';
import { mintToken, type TokenClaims } from '../../../src/privacy/authenticate/token.js';

/** Who sends a fuzz operation: a token's claims (none for anonymous) and extra headers. */
export interface Sender {
  name: string;
  claims: TokenClaims | null;
  headers: Readonly<Record<string, string>>;
}

/** One GraphQL request as the fuzz sends it. */
export interface GraphRequest {
  query: string;
  variables?: Record<string, unknown>;
}

/** A response as received: the status, the raw body and the headers as text, for the oracle to search. */
export interface GraphReply {
  status: number;
  body: string;
  headers: string;
  /** The body parsed, or null when it is not JSON. */
  json: { data?: unknown; errors?: { message?: string; extensions?: { code?: string } }[] } | null;
}

/**
 * Sends operations to a gateway as any sender, with development tokens minted once per sender and
 * an `X-Request-Id` per request, so a log line the graph writes can be traced to its operation.
 */
export class GraphClient {
  private readonly tokens = new Map<string, Promise<string>>();

  constructor(
    readonly url: string,
    private readonly config: Config,
  ) {}

  /** Sends one operation and returns the reply, whatever its status. */
  async send(sender: Sender, request: GraphRequest, requestId: string): Promise<GraphReply> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...sender.headers,
    };
    if (sender.claims) headers.authorization = `Bearer ${await this.token(sender)}`;
    const response = await fetch(this.url, {
      method: 'POST',
      headers,
      body: JSON.stringify(request),
    });
    const body = await response.text();
    let json: GraphReply['json'];
    try {
      json = JSON.parse(body) as GraphReply['json'];
    } catch {
      json = null;
    }
    return {
      status: response.status,
      body,
      headers: [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n'),
      json,
    };
  }

  /** Sends one operation and throws unless it answered 200 without errors: for setting up the canary. */
  async must<T>(sender: Sender, request: GraphRequest, what: string): Promise<T> {
    const reply = await this.send(sender, request, `fuzz-setup-${what}`);
    if (reply.status !== 200 || !reply.json?.data || reply.json.errors?.length) {
      throw new Error(
        `${what} as ${sender.name} failed: HTTP ${reply.status} ${reply.body.slice(0, 500)}`,
      );
    }
    return reply.json.data as T;
  }

  private token(sender: Sender): Promise<string> {
    let token = this.tokens.get(sender.name);
    if (!token) {
      token = mintToken(sender.claims!, this.config);
      this.tokens.set(sender.name, token);
    }
    return token;
  }
}
