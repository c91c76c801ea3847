import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { withErrorTable } from '../errors/errorTable.js';
import { REPO_ROOT } from '../subgraph/service.js';
import { runCommand } from './command.js';

/** Regenerates the README's table of error codes from the registry (src/errors/codes.ts). */
async function main(argv: string[]): Promise<number> {
  const options = new Command()
    .name('docs:errors')
    .description("Regenerate the README's error-code table from src/errors/codes.ts.")
    .option('--check', 'write nothing; fail when the table is stale')
    .option('--file <file>', 'the document holding the table', path.join(REPO_ROOT, 'README.md'))
    .exitOverride()
    .parse(argv)
    .opts<{ check?: boolean; file: string }>();
  const existing = fs.readFileSync(options.file, 'utf8');
  const current = withErrorTable(existing);
  const relative = path.relative(process.cwd(), options.file);
  if (options.check) {
    if (current === existing) return 0;
    process.stderr.write(
      `${relative}: the error table is stale: run npm run docs:errors and commit the result.\n`,
    );
    return 1;
  }
  if (current !== existing) fs.writeFileSync(options.file, current);
  console.log(`${current === existing ? 'unchanged' : 'wrote'} the error table of ${relative}`);
  return 0;
}

runCommand('docs:errors', main);
