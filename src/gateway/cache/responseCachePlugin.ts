import { createHash } from 'node:crypto';
import {
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLRequestContextWillSendResponse,
} from '@apollo/server';
import {
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { DisclosureContext } from '../../privacy/context/disclosureContext.js';
import type { GatewayContext } from '../context.js';
import { PUBLIC_WRITES } from './cacheHints.js';
import type { CachePolicy } from './cachePolicy.js';
import type { ResponseCache } from './responseCache.js';

/** The Cache-Control of a response anyone may reuse for `seconds`. */
export const publicCacheControl = (seconds: number): string => `public, max-age=${seconds}`;

/** What makes an answer other than the anonymous one: a shared cache keys on these as well. */
const VARY = 'authorization, x-legal-process, x-disclosure-purpose';

/** The Cache-Control of every other response: kept by no one. */
export const PRIVATE_CACHE_CONTROL = 'private, no-store';

/** Error codes of a mutation refused before it changed anything: no need to invalidate for them. */
const REFUSALS = new Set([
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_TOO_COMPLEX',
  'RATE_LIMITED',
]);

/** A caller with no token and nothing else that could change an answer: the only one the cache serves. */
const isAnonymous = (caller: DisclosureContext): boolean =>
  caller.principal === null &&
  caller.roles.length === 0 &&
  caller.duties.length === 0 &&
  caller.patronId === null &&
  caller.legalOrder === null &&
  caller.purpose === null;

/** JSON with object keys sorted, so the same variables written in another order share an entry. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined,
    );
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The cache key: the query text's hash, the operation chosen, and the variables' values. */
const cacheKey = (
  queryHash: string,
  operationName: string | null | undefined,
  variables: unknown,
): string =>
  createHash('sha256')
    .update(queryHash)
    .update('\0')
    .update(operationName ?? '')
    .update('\0')
    .update(canonicalJson(variables ?? {}))
    .digest('base64url');

/** The root fields a mutation calls, or null when one hides behind a fragment that cannot be read. */
function rootFields(operation: OperationDefinitionNode, document: DocumentNode): string[] | null {
  const fragments = new Map(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((d) => [d.name.value, d]),
  );
  const names: string[] = [];
  const seen = new Set<string>();
  const walk = (selectionSet: SelectionSetNode): boolean =>
    selectionSet.selections.every((selection) => {
      if (selection.kind === Kind.FIELD) return names.push(selection.name.value) > 0;
      if (selection.kind === Kind.INLINE_FRAGMENT) return walk(selection.selectionSet);
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(selection.name.value)) return fragment !== undefined;
      seen.add(selection.name.value);
      return walk(fragment.selectionSet);
    });
  return walk(operation.selectionSet) ? names : null;
}

/** What a mutation's response says about what it did: it may have changed data unless all it got were refusals. */
function mayHaveChanged({
  response,
}: GraphQLRequestContextWillSendResponse<GatewayContext>): boolean {
  if (response.body.kind !== 'single') return true;
  const { data, errors } = response.body.singleResult;
  if (data && Object.values(data).some((value) => value !== null)) return true;
  return (errors ?? []).some((e) => !REFUSALS.has(String(e.extensions?.code)));
}

/** Invalidates what the mutation's root fields can change (everything, for one not in PUBLIC_WRITES). */
function invalidateFor(cache: ResponseCache, fields: string[] | null): void {
  if (fields === null || fields.some((f) => !Object.hasOwn(PUBLIC_WRITES, f)))
    return cache.invalidate('all');
  const changed = new Set(fields.flatMap((f) => PUBLIC_WRITES[f]!));
  if (changed.size) cache.invalidate(changed);
}

/**
 * The public response cache, as an Apollo Server plugin: an anonymous caller's query that the
 * policy finds public is answered from the cache when it can be, and its error-free answer is
 * stored otherwise; every other request bypasses it. A mutation that may have changed data drops
 * the entries it can affect. Every response gets a Cache-Control: public with the remaining
 * maxAge for a cacheable answer, `private, no-store` for all else.
 *
 * Install it before the pre-filter plugin: it judges the document the client sent, and stores
 * nothing for a request whose document another plugin replaced.
 */
export function responseCachePlugin(
  policy: CachePolicy,
  cache: ResponseCache,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      const anonymous = isAnonymous(contextValue.caller);
      let plan: {
        key: string;
        maxAge: number;
        volatile: readonly string[];
        epoch: number;
        document: DocumentNode;
      } | null = null;
      let mutation: { operation: OperationDefinitionNode; document: DocumentNode } | null = null;
      let hitSeconds: number | null = null;
      return {
        async didResolveOperation({ document, operation, operationName, queryHash, request }) {
          if (operation?.operation === 'mutation') {
            mutation = { operation, document };
            return;
          }
          // No operation resolved (a name the document lacks): Apollo answers with an error, not the cache.
          const analysis = anonymous && operation ? policy.analyze(document, operation) : null;
          if (analysis?.kind !== 'cacheable') {
            cache.counts.bypasses += 1;
            return;
          }
          plan = {
            key: cacheKey(queryHash, operationName, request.variables),
            maxAge: analysis.maxAge,
            volatile: analysis.volatile,
            epoch: cache.epoch,
            document,
          };
        },
        async responseForOperation() {
          if (!plan) return null;
          const hit = cache.get(plan.key);
          if (!hit) return null;
          hitSeconds = hit.remainingSeconds;
          return {
            http: { status: undefined, headers: new HeaderMap() },
            body: {
              kind: 'single',
              singleResult: { data: JSON.parse(hit.body) as Record<string, unknown> },
            },
          };
        },
        async willSendResponse(requestContext) {
          // Set before any await, so Apollo's own cache-control plugin (installed after this one)
          // finds a header it does not parse and leaves it as it is.
          const { response, document } = requestContext;
          response.http.headers.set('cache-control', PRIVATE_CACHE_CONTROL);
          if (mutation) {
            if (mayHaveChanged(requestContext))
              invalidateFor(cache, rootFields(mutation.operation, mutation.document));
            return;
          }
          if (!plan || response.body.kind !== 'single' || document !== plan.document) return;
          const result = response.body.singleResult;
          if (
            result.errors ||
            result.extensions ||
            !result.data ||
            (response.http.status ?? 200) !== 200
          )
            return;
          response.http.headers.set('cache-control', publicCacheControl(hitSeconds ?? plan.maxAge));
          // A shared cache (CDN) must not give this anonymous answer to a caller with credentials.
          const vary = response.http.headers.get('vary');
          response.http.headers.set('vary', vary ? `${vary}, ${VARY}` : VARY);
          if (hitSeconds === null)
            cache.set(
              plan.key,
              JSON.stringify(result.data),
              plan.maxAge,
              plan.volatile,
              plan.epoch,
            );
        },
      };
    },
  };
}
