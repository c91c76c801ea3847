import fs from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import type { GraphQLSchema } from 'graphql';
import type { Config } from '../../config/env.js';
import type { Logger } from '../../log/logger.js';
import type { OperationChecker } from '../../limits/operationLimits.js';
import { refusalError } from '../../limits/refusal.js';
import { DocumentResolver, type OperationFields } from './documentResolver.js';
import { TrustedDocumentStore } from './documentStore.js';
import { ManifestError, parseManifest } from './manifest.js';
import { TrustedDocuments } from './trustedDocuments.js';

/** The schema clients see, as `@apollo/gateway` builds it from the supergraph: what operations are validated against. */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();
}

/** The first limit `body` exceeds, as the refusal's sentence, pinning its analysis when it passes. */
export const limitsOf =
  (checker: OperationChecker) =>
  (body: string): string | null => {
    const refusal = checker.pin(body);
    return refusal === null
      ? null
      : refusal === 'unparsable'
        ? 'does not parse'
        : refusalError(refusal).message;
  };

/** Reads, checks and pre-parses the manifest at `file`; throws a ManifestError that names the file and each bad operation. */
export function loadTrustedDocuments(
  file: string,
  options: { apiSchema: GraphQLSchema; introspection: boolean; checker: OperationChecker },
): TrustedDocuments {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new ManifestError(`TRUSTED_DOCUMENTS: cannot read ${file}: ${(error as Error).message}`);
  }
  return TrustedDocuments.load(parseManifest(text, file), file, {
    apiSchema: options.apiSchema,
    introspection: options.introspection,
    limits: limitsOf(options.checker),
  });
}

/** What the gateway wires in: the step that resolves each request's document, and Apollo's document store. */
export interface TrustedDocumentsSetup {
  resolveOperation: (operation: OperationFields) => OperationFields;
  documentStore: TrustedDocumentStore;
  trusted: TrustedDocuments | null;
}

/**
 * Loads the manifest of TRUSTED_DOCUMENTS (when set and its mode is not `off`) at start-up, its
 * operations held to the limits of `checker`, and builds the resolver of persisted queries and
 * registered operations. A manifest that cannot be served stops the start.
 */
export function setUpTrustedDocuments(options: {
  config: Config;
  supergraphSdl: string;
  checker: OperationChecker;
  logger: Logger;
}): TrustedDocumentsSetup {
  const { config, logger } = options;
  const settings = config.trustedDocuments;
  let trusted: TrustedDocuments | null = null;
  if (settings.manifest && settings.mode !== 'off') {
    trusted = loadTrustedDocuments(settings.manifest, {
      apiSchema: apiSchemaOf(options.supergraphSdl),
      introspection: config.env !== 'production',
      checker: options.checker,
    });
    logger.info(
      { manifest: settings.manifest, mode: settings.mode, operations: trusted.size },
      'trusted documents loaded',
    );
    if (settings.mode === 'require' && config.playground !== 'off') {
      logger.warn(
        { playground: config.playground },
        "TRUSTED_DOCUMENTS_MODE=require refuses the playground's operations unless the manifest holds them: turn PLAYGROUND off in production",
      );
    }
  }
  const resolver = new DocumentResolver(settings, trusted, logger);
  return {
    resolveOperation: (operation) => resolver.resolve(operation),
    documentStore: new TrustedDocumentStore(trusted),
    trusted,
  };
}
