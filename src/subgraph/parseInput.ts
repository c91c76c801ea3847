import type { z } from 'zod';
import { InvalidInput } from '../errors/domain.js';

/** Parses a mutation's input with zod; the first problem becomes an InvalidInput naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InvalidInput(`${issue.path.join('.') || 'input'}: ${issue.message}`);
  }
  return result.data;
}
