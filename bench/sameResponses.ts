/**
 * Whether gateways answered one request alike, checked before a benchmark measures them: a
 * comparison of throughput means nothing if one of them sends less, or something else.
 */

/**
 * How alike the answers were, closest first: the same bytes; the same bytes once trailing whitespace
 * is cut; the same JSON text once re-serialized (only whitespace between tokens differs, keys in the
 * same order); the same JSON once every object's keys are sorted.
 */
export const SAMENESS = [
  'byte-equal',
  'byte-equal but for trailing whitespace',
  'JSON-equal, same key order (whitespace differs)',
  'JSON-equal after key ordering',
] as const;
export type Sameness = (typeof SAMENESS)[number];

/** The less alike of two: what held in every one of several comparisons. */
export const weakest = (a: Sameness, b: Sameness): Sameness =>
  SAMENESS.indexOf(a) >= SAMENESS.indexOf(b) ? a : b;

/** Gateways that answered one request differently, or with errors: the benchmark must stop. */
export class ResponsesDiffer extends Error {
  override name = 'ResponsesDiffer';
}

/**
 * Compares the bodies the gateways sent for one request (by gateway name). Each must be a GraphQL
 * result with data and without errors; all must be byte-equal or, failing that, JSON-equal (with
 * keys sorted if need be; arrays keep their order). Throws `ResponsesDiffer` naming the first difference.
 */
export function compareResponses(request: string, bodies: Record<string, string>): Sameness {
  const entries = Object.entries(bodies);
  if (entries.length < 2)
    throw new Error(`${request}: need at least two responses to compare, got ${entries.length}`);
  const parsed = entries.map(([gateway, body]) => {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      throw new ResponsesDiffer(
        `${request}: ${gateway} sent a body that is not JSON: ${body.slice(0, 200)}`,
      );
    }
    const result = value as { data?: unknown; errors?: unknown[] };
    if (result.errors?.length)
      throw new ResponsesDiffer(
        `${request}: ${gateway} answered with errors: ${JSON.stringify(result.errors).slice(0, 500)}`,
      );
    if (result.data === null || typeof result.data !== 'object')
      throw new ResponsesDiffer(`${request}: ${gateway} answered without data`);
    return [gateway, value] as const;
  });
  const [firstGateway, firstBody] = entries[0]!;
  if (entries.every(([, body]) => body === firstBody)) return 'byte-equal';
  if (entries.every(([, body]) => body.trimEnd() === firstBody.trimEnd()))
    return 'byte-equal but for trailing whitespace';
  const [, firstValue] = parsed[0]!;
  const text = JSON.stringify(firstValue);
  if (parsed.every(([, value]) => JSON.stringify(value) === text))
    return 'JSON-equal, same key order (whitespace differs)';
  for (const [gateway, value] of parsed.slice(1)) {
    const where = firstDifference(firstValue, value, '');
    if (where !== null)
      throw new ResponsesDiffer(
        `${request}: ${firstGateway} and ${gateway} differ at ${where || 'the top'}`,
      );
  }
  return 'JSON-equal after key ordering';
}

/** The path of the first place two JSON values differ, ignoring object key order; null when equal. */
function firstDifference(a: unknown, b: unknown, at: string): string | null {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return at;
    if (a.length !== b.length) return `${at} (length ${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i++) {
      const where = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (where !== null) return where;
    }
    return null;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keysA = Object.keys(a).sort();
    const keysB = Object.keys(b).sort();
    if (keysA.join('\0') !== keysB.join('\0'))
      return `${at} (keys ${keysA.join(',')} vs ${keysB.join(',')})`;
    for (const key of keysA) {
      const where = firstDifference(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        `${at}.${key}`,
      );
      if (where !== null) return where;
    }
    return null;
  }
  return Object.is(a, b) ? null : `${at} (${JSON.stringify(a)} vs ${JSON.stringify(b)})`;
}
