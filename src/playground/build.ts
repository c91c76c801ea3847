import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Bundles the playground page (React, GraphiQL and their CSS) with esbuild into `dist/playground/`,
 * so the gateway serves every asset itself and the page works with no internet. Runs at install
 * time (`postinstall`) and again at gateway start when the bundle is missing or older than any
 * file it was built from.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where the bundle is written; git-ignored. */
export const PLAYGROUND_DIST = path.join(ROOT, 'dist', 'playground');
const ENTRY = 'src/playground/page.tsx';
const MANIFEST = 'manifest.json';

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

/**
 * Builds the bundle into a fresh directory and swaps it in, so a server reading the old one (or a
 * second process building at the same moment) never sees half a bundle.
 */
export async function buildPlayground(): Promise<PlaygroundManifest> {
  const { build } = await import('esbuild');
  const unique = `${process.pid}-${Date.now()}`;
  const staging = `${PLAYGROUND_DIST}.build-${unique}`;
  try {
    const result = await build({
      absWorkingDir: ROOT,
      entryPoints: { playground: ENTRY },
      outdir: staging,
      entryNames: '[name]-[hash]',
      assetNames: '[name]-[hash]',
      bundle: true,
      minify: true,
      sourcemap: 'linked',
      format: 'iife',
      platform: 'browser',
      target: ['es2020'],
      jsx: 'automatic',
      define: { 'process.env.NODE_ENV': '"production"' },
      // Only reached for subscriptions over websockets, which this graph does not have.
      external: ['graphql-ws'],
      metafile: true,
      logLevel: 'silent',
    });
    const outputs = Object.keys(result.metafile.outputs).map((file) => path.relative(staging, path.resolve(ROOT, file)));
    const script = outputs.find((file) => file.endsWith('.js'));
    const stylesheet = outputs.find((file) => file.endsWith('.css'));
    if (!script || !stylesheet) throw new Error(`esbuild produced no script or stylesheet: ${outputs.join(', ')}`);
    const manifest: PlaygroundManifest = {
      script,
      stylesheet,
      files: outputs.sort(),
      inputs: Object.keys(result.metafile.inputs).filter((input) => !input.includes(':')).sort(),
    };
    fs.writeFileSync(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
    swapIn(staging, `${PLAYGROUND_DIST}.old-${unique}`);
    return readManifest() ?? manifest;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function swapIn(staging: string, retired: string): void {
  fs.mkdirSync(path.dirname(PLAYGROUND_DIST), { recursive: true });
  try {
    fs.renameSync(PLAYGROUND_DIST, retired);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    fs.renameSync(staging, PLAYGROUND_DIST);
  } catch (error) {
    // Another process swapped its (identical) build in first: keep that one.
    if (!['ENOTEMPTY', 'EEXIST'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
  fs.rmSync(retired, { recursive: true, force: true });
}

/** Sizes of the built script and stylesheet, for the one log line. */
export function describeBundle(manifest: PlaygroundManifest): string {
  const size = (file: string) => `${(fs.statSync(path.join(PLAYGROUND_DIST, file)).size / 1024).toFixed(0)} kB`;
  return `${manifest.script} ${size(manifest.script)}, ${manifest.stylesheet} ${size(manifest.stylesheet)}`;
}

/** Where ensurePlayground reports: one line when it builds, one when a build fails. */
export interface BuildLog {
  info(message: string): void;
  error(message: string): void;
}

/**
 * The bundle the gateway serves, rebuilt first when it is missing or, outside production, older
 * than its sources (a developer editing the page sees the change on the next start). Production
 * never rebuilds a bundle it has: its file system may be read-only, and its sources do not change.
 * A failed build never stops the gateway: it serves the previous bundle, or null when there is none.
 */
export async function ensurePlayground(production: boolean, log: BuildLog): Promise<PlaygroundManifest | null> {
  const current = readManifest();
  if (current && (production || !isStale())) return current;
  const started = performance.now();
  try {
    const manifest = await buildPlayground();
    log.info(`playground: built dist/playground in ${((performance.now() - started) / 1000).toFixed(1)} s (${describeBundle(manifest)})`);
    return manifest;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.error(`playground: the bundle failed to build${current ? '; serving the previous one' : ''}:\n${reason}`);
    return current;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const started = performance.now();
  buildPlayground().then(
    (manifest) =>
      console.log(`playground: built dist/playground in ${((performance.now() - started) / 1000).toFixed(1)} s (${describeBundle(manifest)})`),
    (error: unknown) => {
      console.error(`playground: the bundle failed to build:\n${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
