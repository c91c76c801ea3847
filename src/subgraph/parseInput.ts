import type { z } from 'zod';
import { ERRORS } from '../errors/codes.js';

/** Parses a mutation's input with zod; the first problem becomes a BAD_USER_INPUT naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw ERRORS.BAD_USER_INPUT.err(`${issue.path.join('.') || 'input'}: ${issue.message}`);
  }
  return result.data;
}
