import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { Config } from '../config/env.js';

/**
 * Apollo Server's own landing page for the configured playground. `apollo-sandbox` is Apollo's
 * embedded Sandbox on GET /graphql; it loads from Apollo's CDN, so it needs the internet. Every
 * other setting disables it: `graphiql` is served by our own route at `/`, and `off` is nothing.
 */
export function landingPagePlugin(playground: Config['playground']): ApolloServerPlugin {
  return playground === 'apollo-sandbox'
    ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
    : ApolloServerPluginLandingPageDisabled();
}
