import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { runCommand } from '../src/cli/command.js';
import { describeFailure, formatReport, prepareFuzz, runFuzz } from '../test/support/fuzz/run.js';
import { DEFAULT_GENERATOR_OPTIONS } from '../test/support/fuzz/operations.js';
import { envPair } from './envPair.js';
import { parseWithout, withSwitches, type PrivacySwitches } from './graphVariant.js';

/**
 * `npm run fuzz:privacy -- --operations 10000`: generated operations as every persona against a
 * canary patron made through the API; exits 1 naming the operation and the caller when any canary
 * value reaches a caller the oracle does not allow, or any log line.
 */

const positive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
};
const seedOf = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new InvalidArgumentError('must be a whole number from 0 to 4294967295');
  return n;
};
const indexes = (value: string) =>
  value.split(',').map((part) => {
    const n = Number(part);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError('must be operation indexes, comma-separated');
    return n;
  });

async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('fuzz:privacy')
    .description(
      'Sends generated operations as every persona against a canary patron; fails on any canary value where the oracle does not allow it, or in any log line.',
    )
    .option('--operations <n>', 'operations to send', positive, 10_000)
    .option(
      '--seed <n>',
      'seed of the run (printed; the same seed gives the same operations)',
      seedOf,
    )
    .option(
      '--only <indexes>',
      'send only these operations of the seed (to reproduce a failure)',
      indexes,
    )
    .option('--concurrency <n>', 'operations in flight at once', positive, 4)
    .option(
      '--max-depth <n>',
      'levels of object fields below a root field',
      positive,
      DEFAULT_GENERATOR_OPTIONS.maxDepth,
    )
    .option(
      '--graph-env <NAME=value>',
      'configuration for the graph under test (repeatable), e.g. a limit',
      envPair,
    )
    .option(
      '--without <parts>',
      'switch parts of privacy off in the graph under test (enforcement, prefilter, signing, audit), to see the fuzz fail: e.g. enforcement,prefilter',
      (value: string) => {
        try {
          return { list: value, switches: parseWithout(value) };
        } catch (error) {
          throw new InvalidArgumentError((error as Error).message);
        }
      },
    )
    .addOption(new Option('--show <n>', 'failures printed in full').argParser(positive).default(10))
    .exitOverride()
    .parse(argv);
  const opts = program.opts<{
    operations: number;
    seed?: number;
    only?: number[];
    concurrency: number;
    maxDepth: number;
    show: number;
    graphEnv?: Record<string, string>;
    without?: { list: string; switches: Partial<PrivacySwitches> };
  }>();
  const seed = opts.seed ?? Math.floor(Math.random() * 0x100000000);
  const total = opts.only?.length ?? opts.operations;
  process.stderr.write(`fuzz:privacy seed ${seed} (reproduce with --seed ${seed})\n`);

  const without = opts.without;
  const env = await prepareFuzz(
    seed,
    opts.graphEnv ?? {},
    without ? (config) => withSwitches(config, without.switches) : undefined,
  );
  try {
    process.stderr.write(
      `canary ${env.canary.profile.name} made through the API: loan ${env.canary.loanId}, hold ${env.canary.holdId}, registration ${env.canary.registrationId}, order ${env.canary.legalOrder}\n`,
    );
    const bar =
      process.stderr.isTTY && total >= 200
        ? new cliProgress.SingleBar(
            { format: '  {bar} {value}/{total} operations | {eta}s left', stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : null;
    bar?.start(total, 0);
    let lastLine = Date.now();
    const report = await runFuzz(env, {
      seed,
      operations: opts.operations,
      concurrency: opts.concurrency,
      generator: { ...DEFAULT_GENERATOR_OPTIONS, maxDepth: opts.maxDepth },
      ...(opts.only ? { only: opts.only } : {}),
      onProgress: (done) => {
        if (bar) bar.update(done);
        else if (Date.now() - lastLine > 10_000) {
          lastLine = Date.now();
          process.stderr.write(`  ${done}/${total} operations\n`);
        }
      },
    });
    bar?.stop();
    const findings = [
      ...env.setupFindings.map((finding) => ({
        operation: -1,
        caller: 'circulation-staff' as const,
        where: 'log' as const,
        finding,
        request: { query: '(making the canary)' },
      })),
      ...report.findings,
    ];
    report.findings = findings;
    console.log(formatReport(report));
    const replay = [
      ...(opts.maxDepth !== DEFAULT_GENERATOR_OPTIONS.maxDepth
        ? [` --max-depth ${opts.maxDepth}`]
        : []),
      ...Object.entries(opts.graphEnv ?? {}).map(([k, v]) => ` --graph-env ${k}=${v}`),
      ...(without ? [` --without ${without.list}`] : []),
    ].join('');
    for (const item of [...findings, ...report.anomalies].slice(0, opts.show))
      console.log(`\n${describeFailure(item, seed, replay)}`);
    if (findings.length > 0 || report.anomalies.length > 0) {
      console.log(
        `\nFAILED: ${findings.length} canary values where they must not be, ${report.anomalies.length} unexpected answers (seed ${seed})`,
      );
      return 1;
    }
    console.log('\nno canary value reached a caller without an exception, nor any log line');
    return 0;
  } finally {
    await env.stop();
  }
}

runCommand('fuzz:privacy', main);
