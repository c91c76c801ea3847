import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const RoverSchema = z.object({
  federation_version: z
    .string()
    .regex(
      /^=?2(\.\d+){0,2}$/,
      'federation_version must be a Federation 2 version such as =2.14.4',
    ),
  subgraphs: z.record(
    z.string().regex(/^[a-z][a-z0-9_-]*$/),
    z.object({
      routing_url: z.string().url(),
      schema: z.object({ file: z.string().min(1) }),
    }),
  ),
});

/** One subgraph as rover.yaml names it, with its SDL read from disk. */
export interface SubgraphSource {
  name: string;
  url: string;
  file: string;
  sdl: string;
}

/** Reads a Rover supergraph config and the SDL files it names; errors say which entry is wrong. */
export function readRoverConfig(configPath: string): SubgraphSource[] {
  const raw: unknown = parseYaml(fs.readFileSync(configPath, 'utf8'));
  const parsed = RoverSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`${configPath} is not a valid Rover supergraph config:\n${lines.join('\n')}`);
  }
  const dir = path.dirname(configPath);
  return Object.entries(parsed.data.subgraphs).map(([name, entry]) => {
    const file = path.resolve(dir, entry.schema.file);
    if (!fs.existsSync(file))
      throw new Error(
        `${configPath}: subgraph ${name}: schema file ${entry.schema.file} does not exist`,
      );
    return { name, url: entry.routing_url, file, sdl: fs.readFileSync(file, 'utf8') };
  });
}
