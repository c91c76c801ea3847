import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { SUPERGRAPH_FILE } from '../app/graph.js';
import { loadConfig } from '../config/env.js';
import { OperationChecker } from '../limits/operationLimits.js';
import { buildManifest, type OperationFile } from '../gateway/trustedDocuments/buildManifest.js';
import { apiSchemaOf, limitsOf } from '../gateway/trustedDocuments/setup.js';
import { buildASTSchema, parse } from 'graphql';
import { COMPARE_EXAMPLE, EXAMPLES } from '../playground/examples.js';
import { runCommand } from './command.js';

const OPERATION_FILE = /\.(graphql|gql)$/;

/** The operation files under each path: a file as given, a directory's .graphql/.gql files at any depth. */
function operationFiles(paths: readonly string[]): OperationFile[] {
  const found: string[] = [];
  const walk = (entry: string) => {
    if (!fs.existsSync(entry)) throw new Error(`${entry}: no such file or directory`);
    const stat = fs.statSync(entry);
    if (stat.isDirectory()) {
      for (const name of fs.readdirSync(entry).sort()) {
        const child = path.join(entry, name);
        if (fs.statSync(child).isDirectory() || OPERATION_FILE.test(name)) walk(child);
      }
    } else {
      found.push(entry);
    }
  };
  for (const entry of paths) walk(entry);
  const shown = (file: string) => {
    const relative = path.relative(process.cwd(), file);
    return relative && !relative.startsWith('..') ? relative : file;
  };
  return [...new Set(found)].map((file) => ({
    path: shown(file),
    text: fs.readFileSync(file, 'utf8'),
  }));
}

/** The playground's example operations, each as a file named after its example. */
function playgroundFiles(): OperationFile[] {
  const examples = new Map(
    [COMPARE_EXAMPLE, ...Object.values(EXAMPLES).flat()].map((e) => [e.query, e]),
  );
  return [...examples.values()].map((example) => ({
    path: `playground:${example.id}`,
    text: example.query,
  }));
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command()
    .name('trusted-documents')
    .description(
      'Trusted documents: the persisted-query manifest of the operations first-party apps send (TRUSTED_DOCUMENTS).',
    )
    .exitOverride();
  program
    .command('build')
    .description(
      'Validate .graphql operations against the graph and its limits, and write their manifest.',
    )
    .argument('<paths...>', '.graphql/.gql files, or directories searched for them')
    .requiredOption(
      '--out <file>',
      'the manifest to write (apollo-persisted-query-manifest, version 1)',
    )
    .option(
      '--supergraph <file>',
      'the supergraph the operations are checked against',
      SUPERGRAPH_FILE,
    )
    .option(
      '--playground-examples',
      "add the playground's example operations, so they run under TRUSTED_DOCUMENTS_MODE=require",
    )
    .action(
      (
        paths: string[],
        options: { out: string; supergraph: string; playgroundExamples?: boolean },
      ) => {
        const files = operationFiles(paths);
        if (files.length === 0) {
          process.stderr.write(
            `trusted-documents: no .graphql or .gql files in ${paths.join(', ')}\n`,
          );
          code = 1;
          return;
        }
        const supergraphSdl = fs.readFileSync(options.supergraph, 'utf8');
        // The limits of this environment, as the gateway that loads the manifest will apply them.
        const limits = loadConfig().limits.operation;
        const checker = new OperationChecker(
          buildASTSchema(parse(supergraphSdl), { assumeValidSDL: true }),
          limits,
        );
        const check = { apiSchema: apiSchemaOf(supergraphSdl), limits: limitsOf(checker) };
        const result = buildManifest(files, check);
        // Each example is built alone: examples for different personas share operation names.
        const examples = options.playgroundExamples
          ? playgroundFiles().map((file) => buildManifest([file], check))
          : [];
        const errors = [result, ...examples].flatMap((r) => (r.ok ? [] : r.errors));
        if (!result.ok || errors.length) {
          process.stderr.write(
            `trusted-documents: ${errors.length} problem(s); no manifest written:\n${errors.map((e) => `  ${e}`).join('\n')}\n`,
          );
          code = 1;
          return;
        }
        const ids = new Set(result.manifest.operations.map((o) => o.id));
        for (const example of examples) {
          for (const operation of example.ok ? example.manifest.operations : []) {
            if (!ids.has(operation.id)) result.manifest.operations.push(operation);
            ids.add(operation.id);
          }
        }
        fs.writeFileSync(options.out, `${JSON.stringify(result.manifest, null, 2)}\n`);
        const names = result.manifest.operations.map((o) => o.name).join(', ');
        process.stdout.write(
          `wrote ${result.manifest.operations.length} operation(s) from ${files.length} file(s) to ${options.out}: ${names}\n`,
        );
      },
    );
  await program.parseAsync(argv);
  return code;
}

runCommand('trusted-documents', main);
