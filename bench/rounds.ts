/**
 * Interleaved rounds, as the throughput benchmarks run them: every build in every round, each in a
 * fresh process over its own copy of the seeded data, in an order that rotates from round to round,
 * so that drift on a shared machine hits every build alike. Figures are kept per round, for the
 * medians and the per-round ratios the reports give.
 */
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import {
  copyDataDir,
  startVariant,
  type Measurement,
  type RunningVariant,
  type Variant,
  type VariantOptions,
} from './harness.js';

/** The two options every interleaved benchmark takes. */
export interface RoundOptions {
  /** Seconds per measurement. */
  seconds: number;
  /** Interleaved rounds. */
  rounds: number;
}

/** A numeric option; its help shows the default as it is typed, `"5"`. */
const numberOption = (flags: string, description: string, value: number) =>
  new Option(flags, description).argParser(Number).default(value, JSON.stringify(String(value)));

/** Adds `--seconds` and `--rounds` (as numbers, `RoundOptions`), with this benchmark's defaults. */
export const withRounds = (command: Command, defaults: RoundOptions): Command =>
  command
    .addOption(numberOption('--seconds <n>', 'seconds per measurement', defaults.seconds))
    .addOption(numberOption('--rounds <n>', 'interleaved rounds', defaults.rounds));

/** `items` in the order of round `round`: over rounds, each takes each place equally often. */
export const rotated = <T>(items: readonly T[], round: number): T[] =>
  items.map((_, i) => items[(i + round) % items.length]!);

/**
 * Starts `variant` over a fresh copy of `seeded`, runs `use` against it, then stops it and removes
 * the copy, whether `use` succeeded or not: no run inherits another's audit records or processes.
 */
export async function onFreshCopy<T>(
  variant: Variant,
  seeded: string,
  use: (running: RunningVariant) => Promise<T>,
  options: VariantOptions = {},
): Promise<T> {
  const runDir = copyDataDir(seeded);
  try {
    const running = await startVariant(variant, runDir, options);
    try {
      return await use(running);
    } finally {
      await running.stop();
    }
  } finally {
    fs.rmSync(runDir, { recursive: true, force: true });
  }
}

/** Measurements by scenario and build, one per round, in the rounds' order. */
export class RoundFigures {
  readonly #measurements = new Map<string, Measurement[]>();

  /** Records one round's measurement of `scenario` on `build`. */
  add(scenario: string, build: string, measurement: Measurement): void {
    const key = `${scenario}|${build}`;
    this.#measurements.set(key, [...(this.#measurements.get(key) ?? []), measurement]);
  }

  /** The measurements of `scenario` on `build`, round by round (none when it did not run). */
  of(scenario: string, build: string): Measurement[] {
    return this.#measurements.get(`${scenario}|${build}`) ?? [];
  }
}
