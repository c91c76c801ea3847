import fs from 'node:fs';
import path from 'node:path';
import { findRepoRoot } from '../config/paths.js';

/**
 * The playground's bundle on disk: where it is, what it holds, whether it is current. The gateway
 * reads it from here; building it (esbuild, a build-time tool) is `build.ts`, loaded only when a
 * bundle must be built.
 */

/** The repository root, where the bundle's sources are named from. */
export const ROOT = findRepoRoot(import.meta.url);
/** Where the bundle is written; git-ignored. */
export const PLAYGROUND_DIST = path.join(ROOT, 'dist', 'playground');
export const MANIFEST = 'manifest.json';

/** What a build produced: the hashed file names the page links, and what it was built from. */
export interface PlaygroundManifest {
  script: string;
  stylesheet: string;
  /** Every file served under /playground/ (the route serves these and nothing else). */
  files: string[];
  /** Source files of the bundle, relative to the repository root. */
  inputs: string[];
}

/** Reads the current bundle's manifest, or null when there is none. */
export function readManifest(dir: string = PLAYGROUND_DIST): PlaygroundManifest | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as PlaygroundManifest;
  } catch {
    return null;
  }
}

/** True when the bundle is missing, or a file it was built from changed (or vanished) since. */
export function isStale(dir: string = PLAYGROUND_DIST): boolean {
  const manifest = readManifest(dir);
  if (!manifest) return true;
  const builtAt = fs.statSync(path.join(dir, MANIFEST)).mtimeMs;
  return manifest.inputs.some((input) => {
    const stat = fs.statSync(path.join(ROOT, input), { throwIfNoEntry: false });
    return !stat || stat.mtimeMs > builtAt;
  });
}

/** Sizes of the built script and stylesheet, for the one log line. */
export function describeBundle(manifest: PlaygroundManifest): string {
  const size = (file: string) =>
    `${(fs.statSync(path.join(PLAYGROUND_DIST, file)).size / 1024).toFixed(0)} kB`;
  return `${manifest.script} ${size(manifest.script)}, ${manifest.stylesheet} ${size(manifest.stylesheet)}`;
}

/**
 * The bundle as it is, when it may be served without building: present and, outside production,
 * no older than its sources. Production serves any bundle it has: its file system may be
 * read-only, and its sources do not change. Null when `ensurePlayground` (build.ts) must build.
 */
export function servableBundle(production: boolean): PlaygroundManifest | null {
  const current = readManifest();
  return current && (production || !isStale()) ? current : null;
}
