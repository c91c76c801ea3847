// Runs before a command that executes the compiled code in dist/ (`npm start`, the operators'
// commands). Where the build tools are installed (a development checkout) it rebuilds what is
// stale; an install without devDependencies (`npm ci --omit=dev`, production) runs the dist/ it
// was deployed with, and fails plainly if there is none.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import console from 'node:console';
import process from 'node:process';
import { URL } from 'node:url';

let buildable = true;
try {
  createRequire(import.meta.url).resolve('typescript');
} catch {
  buildable = false;
}
if (buildable) {
  execSync('npm run -s build', { stdio: 'inherit' });
} else if (!fs.existsSync(new URL('../dist/src/cli/start.js', import.meta.url))) {
  console.error(
    'dist/ is missing and the build tools are not installed (npm ci --omit=dev): build before deploying (npm ci && npm run build).',
  );
  process.exit(1);
}
