import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from '../context.js';
import { rulesFromSupergraph } from '../prefilter/prefilterPlugin.js';
import { CachePolicy } from './cachePolicy.js';
import { MAX_ENTRIES, ResponseCache } from './responseCache.js';
import { responseCachePlugin } from './responseCachePlugin.js';

/** The gateway's public response cache: the plugin to install and the store behind it (for its counters). */
export interface PublicResponseCache {
  plugin: ApolloServerPlugin<GatewayContext>;
  cache: ResponseCache;
}

/**
 * Builds the cache from the supergraph SDL, where the privacy directives survive (the gateway's
 * API schema has them stripped); throws at start when the hints would cache anything confidential.
 */
export function createPublicResponseCache(
  supergraphSdl: string,
  maxBytes: number,
): PublicResponseCache {
  const { schema, rules } = rulesFromSupergraph(supergraphSdl);
  const cache = new ResponseCache({ maxBytes, maxEntries: MAX_ENTRIES });
  return { plugin: responseCachePlugin(new CachePolicy(schema, rules), cache), cache };
}
