import { createHmac } from 'node:crypto';
import type http from 'node:http';
import { ERRORS } from '../errors/codes.js';
import type { GatewayContext } from '../gateway/context.js';
import type { RawRequest, ServeOptions } from '../http/serve.js';
import type { Logger } from '../log/logger.js';
import type { DisclosureContext } from '../privacy/context/disclosureContext.js';
import { addressGroup, ClientAddresses } from './clientAddress.js';
import type { RateLimitConfig } from './config.js';
import { KeyedLimiter } from './keyedLimiter.js';
import type { Admission } from './tokenBucket.js';

/** Whose bucket a request is taken from: a signed-in principal's, or an anonymous address's. */
export type RateKey = { kind: 'principal'; key: string } | { kind: 'anonymous'; key: string };

/** The gateway's serve options, with a context built from the request's headers alone. */
export type HeaderContextOptions = Omit<ServeOptions<GatewayContext>, 'context'> & {
  context: (request: Pick<RawRequest, 'req'>) => Promise<GatewayContext>;
};

/**
 * The bucket a caller is counted in. A principal is its token subject, except that a patron is
 * counted by patron id: card logins mint a fresh subject each time, which would otherwise give
 * every login a fresh bucket.
 */
export function rateKeyOf(caller: DisclosureContext | null, address: string): RateKey {
  if (caller?.patronId) return { kind: 'principal', key: `patron:${caller.patronId}` };
  if (caller?.principal) return { kind: 'principal', key: `sub:${caller.principal}` };
  return { kind: 'anonymous', key: addressGroup(address) };
}

/**
 * Rate limits at the gateway: a token bucket per signed-in principal and one per anonymous client
 * address (an IPv6 client by its /64), checked before the request's body is read, so a refused
 * request costs no parsing, planning or subgraph call. Only the token is verified first, since an
 * unverified subject would let anyone drain another's bucket; a request whose token is refused is
 * counted against its address. It also gives each request's context the client key circulation
 * throttles card logins by: an HMAC of the address group, never the address.
 */
export class GatewayRateLimit {
  private readonly principals: KeyedLimiter;
  private readonly anonymous: KeyedLimiter;
  private readonly addresses: ClientAddresses;
  private readonly clientKeyHmac: Buffer;
  private readonly now: () => number;
  private readonly logger: Logger | null;
  private refusedSinceLog = 0;
  private loggedAt = -Infinity;

  constructor(
    private readonly config: RateLimitConfig,
    options: { secret: string; logger?: Logger; now?: () => number; maxKeys?: number },
  ) {
    this.principals = new KeyedLimiter(config.principal, options.maxKeys);
    this.anonymous = new KeyedLimiter(config.anonymous, options.maxKeys);
    this.addresses = new ClientAddresses(config.trustedProxies);
    this.clientKeyHmac = createHmac('sha256', options.secret)
      .update('library-graph/client-key/v1')
      .digest();
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? null;
  }

  /** Takes one request from `key`'s bucket. */
  take(key: RateKey): Admission {
    return (key.kind === 'principal' ? this.principals : this.anonymous).take(key.key, this.now());
  }

  /** The opaque key of a client address that travels to the subgraphs in the signed context. */
  clientKey(address: string): string {
    return createHmac('sha256', this.clientKeyHmac)
      .update(addressGroup(address), 'utf8')
      .digest('hex');
  }

  /**
   * Wraps the gateway's serve options: `admit` takes the request from its bucket (or answers 429)
   * before anything else; the context is built once per request from its headers, for `admit`
   * and for GraphQL alike, and carries the client key.
   */
  wrap(options: HeaderContextOptions): ServeOptions<GatewayContext> {
    const contexts = new WeakMap<http.IncomingMessage, Promise<GatewayContext>>();
    const contextOf = (req: http.IncomingMessage): Promise<GatewayContext> => {
      let context = contexts.get(req);
      if (!context) {
        const clientKey = this.clientKey(this.addresses.of(req));
        context = options
          .context({ req })
          .then((c) => ({ ...c, caller: { ...c.caller, clientKey } }));
        contexts.set(req, context);
      }
      return context;
    };
    return {
      ...options,
      admit: async (req, res) => {
        const address = this.addresses.of(req);
        let caller: DisclosureContext;
        try {
          ({ caller } = await contextOf(req));
        } catch (error) {
          // A refused token still costs its address a request.
          if (!this.admitOrAnswer(rateKeyOf(null, address), res)) return false;
          throw error;
        }
        return this.admitOrAnswer(rateKeyOf(caller, address), res);
      },
      context: (request) => contextOf(request.req),
    };
  }

  /** True when the request may go on; otherwise answers it with 429 and `Retry-After`. */
  private admitOrAnswer(key: RateKey, res: http.ServerResponse): boolean {
    const admission = this.take(key);
    if (admission.kind === 'admitted') return true;
    const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    const rule = this.config[key.kind];
    const who = key.kind === 'principal' ? 'signed-in caller' : 'client address';
    const error = ERRORS.RATE_LIMITED.formatted(
      `Too many requests: at most ${rule.perMinute} a minute, in bursts of up to ${rule.burst}, per ${who}; retry after ${seconds} s`,
    );
    const body = JSON.stringify({ errors: [error] });
    res.writeHead(ERRORS.RATE_LIMITED.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'retry-after': String(seconds),
    });
    res.end(body);
    this.noteRefusal();
    return false;
  }

  /** Logs refusals as a count, at most once a minute, never naming who was refused. */
  private noteRefusal(): void {
    this.refusedSinceLog += 1;
    const now = this.now();
    if (now - this.loggedAt < 60_000) return;
    this.logger?.warn({ refused: this.refusedSinceLog }, 'rate limited');
    this.refusedSinceLog = 0;
    this.loggedAt = now;
  }
}
