import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  describeBundle,
  MANIFEST,
  PLAYGROUND_DIST,
  readManifest,
  ROOT,
  servableBundle,
  type PlaygroundManifest,
} from './bundle.js';

/**
 * Bundles the playground page (React, GraphiQL and their CSS) with esbuild into `dist/playground/`,
 * so the gateway serves every asset itself and the page works with no internet. Runs at install
 * time (`postinstall`) and again at gateway start when the bundle is missing or older than any
 * file it was built from (`ensurePlayground` in bundle.ts).
 */

const ENTRY = 'src/playground/page.tsx';

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
    const outputs = Object.keys(result.metafile.outputs).map((file) =>
      path.relative(staging, path.resolve(ROOT, file)),
    );
    const script = outputs.find((file) => file.endsWith('.js'));
    const stylesheet = outputs.find((file) => file.endsWith('.css'));
    if (!script || !stylesheet)
      throw new Error(`esbuild produced no script or stylesheet: ${outputs.join(', ')}`);
    const manifest: PlaygroundManifest = {
      script,
      stylesheet,
      files: outputs.sort(),
      inputs: Object.keys(result.metafile.inputs)
        .filter((input) => !input.includes(':'))
        .sort(),
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
export async function ensurePlayground(
  production: boolean,
  log: BuildLog,
): Promise<PlaygroundManifest | null> {
  const servable = servableBundle(production);
  if (servable) return servable;
  const current = readManifest();
  const started = performance.now();
  try {
    const manifest = await buildPlayground();
    log.info(
      `playground: built dist/playground in ${((performance.now() - started) / 1000).toFixed(1)} s (${describeBundle(manifest)})`,
    );
    return manifest;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log.error(
      `playground: the bundle failed to build${current ? '; serving the previous one' : ''}:\n${reason}`,
    );
    return current;
  }
}

// Run as a command: builds the bundle; with --if-stale (npm run build), only when it is missing or
// older than its sources.
if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const started = performance.now();
  const current = process.argv.includes('--if-stale') ? servableBundle(false) : null;
  if (current) console.log(`playground: dist/playground is current (${describeBundle(current)})`);
  else
    buildPlayground().then(
      (manifest) =>
        console.log(
          `playground: built dist/playground in ${((performance.now() - started) / 1000).toFixed(1)} s (${describeBundle(manifest)})`,
        ),
      (error: unknown) => {
        console.error(
          `playground: the bundle failed to build:\n${error instanceof Error ? error.message : String(error)}`,
        );
        process.exit(1);
      },
    );
}
