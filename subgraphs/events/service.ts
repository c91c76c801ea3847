import { buildSubgraphSchema } from '@apollo/subgraph';
import type { Config } from '../../src/config/env.js';
import type { Database } from '../../src/db/open.js';
import { removalFlushFor } from '../../src/db/walCheckpoint.js';
import type { Logger } from '../../src/log/logger.js';
import type { FactsSource } from '../../src/privacy/enforce/privacyContext.js';
import { isCardDirectory, NO_CARDS } from '../../src/privacy/context/onBehalf.js';
import { enforcePrivacy } from '../../src/privacy/enforce/enforce.js';
import { loadTypeDefs, mergeResolvers, type SubgraphService } from '../../src/subgraph/service.js';
import type { EventsTables } from './migrations.js';
import { createEventsLoaders, type EventsContext } from './context.js';
import { eventsResolvers } from './resolvers.js';
import { activityTimeResolvers } from './activityTimes.js';
import { eventStatsResolvers } from './stats.js';
import { EventsStore } from './store.js';

/** Builds the events subgraph over an open database; patron facts come from circulation. */
export function createEventsService(
  database: Database<EventsTables>,
  options: { config: Config; facts: FactsSource; logger?: Logger },
): SubgraphService<EventsContext> {
  // A cancelled registration is deleted; the WAL's older pages with it go within the delay.
  const checkpoints = removalFlushFor(database, {
    delayMs: options.config.walCheckpointDelayMs,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const store = new EventsStore(database.db, undefined, () => checkpoints.request());
  // On-behalf registration resolves cards through circulation; a source that cannot refuses all.
  const cards = isCardDirectory(options.facts) ? options.facts : NO_CARDS;
  const resolvers = mergeResolvers(
    eventsResolvers,
    activityTimeResolvers,
    eventStatsResolvers({ minCellSize: options.config.analytics.minCellSize }),
  );
  const schema = enforcePrivacy(
    buildSubgraphSchema({ typeDefs: loadTypeDefs('events'), resolvers }),
    {
      enabled: options.config.privacyEnforcement,
    },
  );
  return {
    name: 'events',
    schema,
    facts: options.facts,
    createContext: (privacy) => ({ privacy, store, loaders: createEventsLoaders(store), cards }),
    close: () => {
      checkpoints.close();
      return database.close();
    },
  };
}
