import { Command, Option } from 'commander';
import { ConfigError, loadConfig } from '../config/env.js';
import { createLogger } from '../log/logger.js';
import { startGraph, type ServiceName } from '../app/graph.js';
import { playgroundUrl } from '../playground/url.js';

const program = new Command()
  .name('start')
  .description('Start the library graph: the three subgraphs and the gateway, or one of them.')
  .addOption(new Option('--only <service>', 'start one service alone').choices(['catalog', 'circulation', 'events', 'gateway']))
  .parse();

const { only } = program.opts<{ only?: ServiceName }>();

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
const logger = createLogger('library-graph', config.logLevel);
if (config.jwt.isDevelopmentSecret) {
  logger.warn('DEVELOPMENT MODE: tokens are signed with the built-in development secret; never expose this server. Set JWT_SECRET (and NODE_ENV=production) to deploy.');
}

const graph = await startGraph(config, logger, only).catch((error: unknown) => {
  logger.fatal({ err: error instanceof Error ? error.message : String(error) }, 'could not start');
  process.exit(1);
});

const lines = Object.entries(graph.urls).map(([name, url]) => `  ${name.padEnd(12)} ${url}`);
console.log(`\nLibrary graph is up:\n${lines.join('\n')}`);
if (graph.metricsUrl) console.log(`  ${'metrics'.padEnd(12)} ${graph.metricsUrl}   (loopback only)`);
if (graph.urls.gateway) {
  const playground = playgroundUrl(config.playground, graph.urls.gateway);
  console.log('');
  if (playground) console.log(`  Playground:  ${playground}   (open in a browser; pick a persona at the top)`);
  console.log('  Tokens:      npm run token -- <persona>   (patron, circulation-staff, ...)');
}
console.log('\nCtrl-C stops everything.');

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: letting in-flight requests finish');
    void graph.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: String(error) }, 'error while stopping');
        process.exit(1);
      },
    );
  });
}
