import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config/env.js';
import { createLogger } from '../log/logger.js';
import type { ServiceName } from '../app/graph.js';
import { playgroundUrl } from '../playground/url.js';
import {
  isSupervised,
  loadedAwaitListen,
  reportReady,
  stopWithSupervisor,
} from '../supervisor/childChannel.js';

/** What a caller of `runStart` may change: only a benchmark's own entry point passes any. */
export interface StartCommandOptions {
  /** Adjusts the configuration read from the environment (a benchmark's variant of the graph). */
  configure?: (config: Config) => Config;
  /** The script the supervisor starts each service with (default: this command's). */
  script?: string;
}

/**
 * The start command: reads the configuration, then starts the whole graph under the supervisor,
 * one service (`--only`), or everything in this process (SUPERVISE=off); stops on SIGINT/SIGTERM.
 */
export async function runStart(options: StartCommandOptions = {}): Promise<void> {
  const program = new Command()
    .name('start')
    .description('Start the library graph: the three subgraphs and the gateway, or one of them.')
    .addOption(
      new Option('--only <service>', 'start one service alone').choices([
        'catalog',
        'circulation',
        'events',
        'gateway',
      ]),
    )
    .parse();

  const { only } = program.opts<{ only?: ServiceName }>();

  let config: Config;
  try {
    config = loadConfig();
    if (options.configure) config = options.configure(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger('library-graph', config.logLevel);
  // A supervised service is one of four processes; the supervisor warns and prints the banner once.
  const supervised = only !== undefined && isSupervised();
  if (config.jwt.isDevelopmentSecret && !supervised) {
    logger.warn(
      'DEVELOPMENT MODE: tokens are signed with the built-in development secret; never expose this server. Set JWT_SECRET (and NODE_ENV=production) to deploy.',
    );
  }

  // The whole graph runs as one process per service under a supervisor, unless SUPERVISE=off. Each
  // loads only its own code: the supervisor none of the services', a service none of the supervisor's.
  const start = async () => {
    if (supervised) {
      // Load this service's code while the supervisor waits for what it needs, then listen when told.
      await (only === 'gateway' ? import('../gateway/gateway.js') : import('../app/graph.js'));
      await loadedAwaitListen();
    }
    if (only === undefined && config.supervisor.enabled) {
      const { superviseGraph } = await import('../supervisor/supervisor.js');
      return superviseGraph(
        config,
        logger.child({ component: 'supervisor' }),
        process.env,
        options.script,
      );
    }
    const { startGraph } = await import('../app/graph.js');
    return startGraph(config, logger, only);
  };
  const graph = await start().catch((error: unknown) => {
    logger.fatal(
      { err: error instanceof Error ? error.message : String(error) },
      'could not start',
    );
    process.exit(1);
  });

  if (supervised) {
    stopWithSupervisor(() => graph.stop());
    reportReady(graph.urls[only!]!);
  } else {
    printBanner(graph.urls, graph.metricsUrls);
  }

  function printBanner(urls: Partial<Record<ServiceName, string>>, metricsUrls: string[]): void {
    const lines = Object.entries(urls).map(([name, url]) => `  ${name.padEnd(12)} ${url}`);
    console.log(`\nLibrary graph is up:\n${lines.join('\n')}`);
    for (const url of metricsUrls)
      console.log(`  ${'metrics'.padEnd(12)} ${url}   (loopback only)`);
    if (urls.gateway) {
      const playground = playgroundUrl(config.playground, urls.gateway);
      console.log('');
      if (playground)
        console.log(
          `  Playground:  ${playground}   (open in a browser; pick a persona at the top)`,
        );
      console.log('  Tokens:      npm run token -- <persona>   (patron, circulation-staff, ...)');
    }
    console.log('\nCtrl-C stops everything.');
  }

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
}
