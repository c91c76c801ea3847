import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { composeSupergraph, defaultPaths } from '../compose/compose.js';
import { REPO_ROOT } from '../subgraph/service.js';

const program = new Command()
  .name('compose')
  .description('Compose rover.yaml into schema/supergraph.graphql, after the privacy lint.')
  .option('--check', 'write nothing; fail when the supergraph or a subgraph privacy block is stale')
  .option('--config <file>', 'Rover supergraph config', path.join(REPO_ROOT, 'rover.yaml'))
  .option('--out <file>', 'supergraph output', path.join(REPO_ROOT, 'schema/supergraph.graphql'))
  .parse();

const options = program.opts<{ check?: boolean; config: string; out: string }>();
const paths = {
  ...defaultPaths(REPO_ROOT),
  rover: path.resolve(options.config),
  supergraph: path.resolve(options.out),
};

try {
  const result = composeSupergraph(paths, { write: !options.check });
  if (result.errors.length) {
    console.error(`Composition failed with ${result.errors.length} error(s):`);
    for (const error of result.errors) console.error(`  - ${error}`);
    process.exit(1);
  }
  const sdl = `${result.supergraphSdl!.trim()}\n`;
  const existing = fs.existsSync(paths.supergraph)
    ? fs.readFileSync(paths.supergraph, 'utf8')
    : null;
  const relative = path.relative(process.cwd(), paths.supergraph);
  if (options.check) {
    if (existing !== sdl || result.synced.length) {
      console.error(`${relative} is stale: run npm run compose and commit the result.`);
      process.exit(1);
    }
    console.log(`${relative} is up to date; privacy lint passed.`);
  } else {
    for (const file of result.synced)
      console.log(`refreshed privacy directives in ${path.relative(process.cwd(), file)}`);
    fs.writeFileSync(paths.supergraph, sdl);
    console.log(`${existing === sdl ? 'unchanged' : 'wrote'} ${relative}; privacy lint passed.`);
  }
} catch (error) {
  console.error(`compose: ${(error as Error).message}`);
  process.exit(1);
}
