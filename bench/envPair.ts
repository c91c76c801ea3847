import { InvalidArgumentError } from 'commander';

/**
 * Commander's parser for a repeatable `NAME=value` option (configuration for a graph under test):
 * each occurrence adds one variable to those before it; anything else is refused.
 */
export const envPair = (value: string, previous: Record<string, string> = {}) => {
  const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(value);
  if (!match) throw new InvalidArgumentError('must be NAME=value');
  return { ...previous, [match[1]!]: match[2]! };
};
