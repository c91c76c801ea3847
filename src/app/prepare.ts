import type { Config } from '../config/env.js';
import type { Logger } from '../log/logger.js';
import { openDatabases, type Databases } from './databases.js';

/**
 * Opens and migrates the databases and, on first start, seeds the demo library. The supervisor
 * runs it once before it starts the services' processes, so they never migrate or seed in a race;
 * the seeding code is loaded only where seeding is on, which keeps each service's start short.
 */
export async function prepareDatabases(config: Config, logger: Logger): Promise<Databases> {
  const databases = await openDatabases(config.dataDir, config.postgres, config.audit.postgres);
  try {
    if (!config.seedOnStart) return databases;
    const { isSeeded, seed } = await import('../dev/seed/seed.js');
    if (!(await isSeeded(databases.circulation.db))) {
      logger.info('first start: seeding the demo library (about a minute)');
      const report = await seed(
        {
          catalog: databases.catalog.db,
          circulation: databases.circulation.db,
          events: databases.events.db,
        },
        { scale: 'demo' },
      );
      logger.info({ rows: report.rows, seconds: report.seconds }, 'demo data seeded');
    }
    return databases;
  } catch (error) {
    for (const db of Object.values(databases)) await db.close();
    throw error;
  }
}
