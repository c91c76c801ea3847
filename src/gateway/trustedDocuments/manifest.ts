import { z } from 'zod';

/** The `format` of Apollo's persisted-query manifest, which `@apollo/generate-persisted-query-manifest` writes too. */
export const MANIFEST_FORMAT = 'apollo-persisted-query-manifest';

/** One registered operation: its id (sent as `extensions.persistedQuery.sha256Hash`), name, type and text. */
export interface ManifestOperation {
  id: string;
  name: string;
  type: 'query' | 'mutation' | 'subscription';
  /** The operation and the fragments it uses, exactly as a client may send it. */
  body: string;
}

/** A persisted-query manifest: `{ format: "apollo-persisted-query-manifest", version: 1, operations }`. */
export interface PersistedQueryManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  operations: ManifestOperation[];
}

/** A manifest that cannot be used; the message names the file and the operation at fault. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().min(1).max(200),
      name: z.string().min(1),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string().min(1),
    }),
  ),
});

/** Reads a manifest's JSON text: its shape, and ids that each name one operation. */
export function parseManifest(text: string, source: string): PersistedQueryManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`${source}: not JSON: ${(error as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => {
      const at = issue.path.join('.') || '(top level)';
      const index =
        issue.path[0] === 'operations' && typeof issue.path[1] === 'number' ? issue.path[1] : null;
      const name =
        index === null
          ? null
          : (json as { operations: { name?: unknown }[] }).operations[index]?.name;
      return `  ${at}${typeof name === 'string' ? ` (operation ${name})` : ''}: ${issue.message}`;
    });
    throw new ManifestError(
      `${source}: not a persisted-query manifest ({"format":"${MANIFEST_FORMAT}","version":1,"operations":[{"id","name","type","body"}]}):\n${issues.join('\n')}`,
    );
  }
  const seen = new Map<string, string>();
  for (const operation of parsed.data.operations) {
    const other = seen.get(operation.id);
    if (other !== undefined)
      throw new ManifestError(
        `${source}: operations ${other} and ${operation.name} have the same id ${operation.id}`,
      );
    seen.set(operation.id, operation.name);
  }
  return parsed.data;
}
