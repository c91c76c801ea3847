import { buildSubgraphSchema } from '@apollo/subgraph';
import type { Config } from '../../src/config/env.js';
import type { Database } from '../../src/db/open.js';
import type { Logger } from '../../src/log/logger.js';
import type { TokenIssuer } from '../../src/privacy/authenticate/token.js';
import { factsRoute } from '../../src/subgraph/factsRoute.js';
import type { NonceStore } from '../../src/privacy/verify/nonceStore.js';
import { verificationSecrets } from '../../src/privacy/sign/signature.js';
import { removalFlushFor } from '../../src/db/walCheckpoint.js';
import { enforcePrivacy } from '../../src/privacy/enforce/enforce.js';
import { loadTypeDefs, mergeResolvers, type SubgraphService } from '../../src/subgraph/service.js';
import type { AuditLog } from '../../src/privacy/audit/store/auditStore.js';
import { disclosureResolvers, disclosuresLoader } from './disclosures.js';
import { analyticsLoanResolvers } from './analyticsLoan.js';
import { CardLogin } from './cardLogin.js';
import type { CirculationContext } from './context.js';
import { RegisterFacts } from './facts.js';
import { createCirculationLoaders } from './loaders.js';
import type { CirculationTables } from './migrations.js';
import { REGISTER_CHAIN, Registers } from './registers.js';
import { circulationResolvers } from './resolvers.js';
import { circulationStatsResolvers } from './stats.js';
import { CirculationStore } from './store.js';

/** Builds the circulation subgraph over an open database. */
export function createCirculationService(
  database: Database<CirculationTables>,
  options: {
    config: Config;
    logger: Logger;
    issuer: TokenIssuer | null;
    audit: AuditLog | null;
    nonces?: NonceStore;
  },
): SubgraphService<CirculationContext> {
  // A return or cancel anonymizes at once; the WAL's older pages with the link go within the delay.
  const checkpoints = removalFlushFor(database, {
    delayMs: options.config.walCheckpointDelayMs,
    logger: options.logger,
  });
  const store = new CirculationStore(database.db, undefined, options.config.retention.rules, () =>
    checkpoints.request(),
  );
  // The legal-order register's acts (registered, approved) go to the audit's `registers` chain.
  const audit = options.audit;
  const registers = new Registers(
    database.db,
    undefined,
    audit ? (entries) => audit.append(REGISTER_CHAIN, entries) : null,
  );
  // Card logins sign with the deployment's issuer; without one, authenticateWithCard is FORBIDDEN.
  const cardLogin = new CardLogin(database.db, {
    issuer: options.issuer,
    secret: options.config.contextSecret,
  });
  // On-behalf card lookups: a principal refused too often is refused every card for a while.
  const facts = new RegisterFacts(database.db, {
    ...options.config.onBehalf,
    logger: options.logger,
  });
  const schema = enforcePrivacy(
    buildSubgraphSchema({
      typeDefs: loadTypeDefs('circulation'),
      resolvers: mergeResolvers(
        circulationResolvers,
        disclosureResolvers,
        analyticsLoanResolvers,
        circulationStatsResolvers({ minCellSize: options.config.analytics.minCellSize }),
      ),
    }),
    { enabled: options.config.privacyEnforcement },
  );
  return {
    name: 'circulation',
    schema,
    facts,
    createContext: (privacy) => ({
      privacy,
      store,
      loaders: createCirculationLoaders(store),
      cards: facts,
      registers,
      cardLogin,
      audit: options.audit,
      disclosuresOfPatron: disclosuresLoader(
        options.audit,
        (ids) => store.legalOrdersOfPatrons(ids),
        () => privacy.clock.now,
      ),
    }),
    routes: [
      factsRoute(facts, verificationSecrets(options.config), options.logger, options.nonces),
    ],
    close: () => {
      checkpoints.close();
      return database.close();
    },
  };
}
