import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root: the nearest directory above `moduleUrl` that holds package.json. Found by
 * walking up rather than by a fixed `../../`, so the same module finds the schemas and the
 * playground bundle whether it runs from source (src/...) or compiled (dist/src/...).
 */
export function findRepoRoot(moduleUrl: string): string {
  let dir = path.dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return `${dir}${path.sep}`;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}
