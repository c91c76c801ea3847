import type { Config } from '../config/env.js';

/**
 * Where a developer opens the playground, from the gateway's GraphQL URL: `/` for our GraphiQL,
 * `/graphql` itself for Apollo Sandbox, null when the playground is off.
 */
export function playgroundUrl(playground: Config['playground'], gatewayUrl: string): string | null {
  switch (playground) {
    case 'graphiql':
      return gatewayUrl.replace(/\/graphql$/, '/');
    case 'apollo-sandbox':
      return gatewayUrl;
    case 'off':
      return null;
  }
}
