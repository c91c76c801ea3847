import { InvalidArgumentError, Option } from 'commander';

/**
 * The `--k <n>` flag of the commands that publish statistics: the fewest distinct people per
 * published `unit`, at least 2 (one person is no crowd), defaulting to ANALYTICS_MIN_CELL.
 */
export function kOption(unit: string): Option {
  return new Option(
    '--k <n>',
    `fewest distinct people per ${unit} (default: ANALYTICS_MIN_CELL)`,
  ).argParser((value: string): number => {
    if (!/^\d{1,4}$/.test(value) || Number(value) < 2)
      throw new InvalidArgumentError('expected an integer of at least 2');
    return Number(value);
  });
}
