import { HeaderMap, type ApolloServerPlugin, type HTTPGraphQLResponse } from '@apollo/server';
import type { Logger } from 'pino';
import { formattedRedaction } from '../../errors/codes.js';
import type { AuditRecorder, FlushResult } from './recorder.js';

/** What the plugin reads of a request's context: the recorder the resolver guard noted into. */
export interface AuditedContext {
  privacy?: { audit: AuditRecorder | null };
}

type Json = Record<string, unknown> | unknown[];

/** A response as GraphQL produced it: the part a failed audit write redacts. */
interface ResultBody {
  data?: Json | null;
  errors?: readonly unknown[];
}

type Failure = Extract<FlushResult, { ok: false }>;

const redaction = () => formattedRedaction();

/** Sets the value at `path` to null when it is there. */
function nullAt(data: Json, path: (string | number)[]): boolean {
  let node: unknown = data;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return false;
    node = (node as Record<string | number, unknown>)[key];
  }
  const last = path[path.length - 1];
  if (node === null || typeof node !== 'object' || last === undefined || !(last in node))
    return false;
  (node as Record<string | number, unknown>)[last] = null;
  return true;
}

/** Replaces each disclosed value with the contract's redaction: null, and an error at its path. */
function redactDisclosed(result: ResultBody, failure: Failure): void {
  const errors = [...(result.errors ?? [])];
  for (const path of failure.paths) {
    if (result.data && nullAt(result.data, path)) errors.push({ ...redaction(), path });
  }
  result.errors = errors;
}

/** What a failed write does besides redacting: count it and log it, without personal data. */
function reportFailure(logger: Logger, onFailure: () => void, failure: Failure): void {
  onFailure();
  const err = failure.error instanceof Error ? failure.error.message : 'unknown';
  logger.error(
    { err, fields: failure.paths.length },
    'audit write failed; disclosed values redacted',
  );
}

/**
 * Starts writing the request's disclosure records once its response is final. Nothing leaves
 * before they are committed. Where the HTTP transport holds the response (a subgraph served over
 * HTTP), it waits for the write after serializing the response, with `auditSettler`: while a
 * write waits (for SQLite's lock, or for PostgreSQL), only the response's text stays alive, not its
 * objects, which the collector would otherwise copy and promote. Otherwise (a server run
 * in-process) this plugin waits here. When the
 * write fails, every disclosed value is replaced by the contract's redaction: nothing is
 * disclosed unaudited.
 */
export function auditPlugin<Ctx extends AuditedContext>(
  logger: Logger,
  onFailure: () => void,
): ApolloServerPlugin<Ctx> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const audit = contextValue.privacy?.audit;
          if (!audit) return;
          const written = audit.written();
          if (audit.heldByTransport) return;
          const result = await written;
          if (result.ok) return;
          reportFailure(logger, onFailure, result);
          if (response.body.kind !== 'single') {
            // An incremental response (@defer, graphql 17) would send later parts unchecked: send
            // none of it, only the redaction.
            response.body = { kind: 'single', singleResult: { data: null, errors: [redaction()] } };
            return;
          }
          redactDisclosed(response.body.singleResult as ResultBody, result);
        },
      };
    },
  };
}

/**
 * The transport's half of the audit (see auditPlugin): waits for the request's records to be
 * written, starting the write if nothing did, and returns the response to send. On failure it
 * redacts the serialized response, or replaces an incremental one, whose later parts it cannot
 * check, with the redaction alone.
 */
export function auditSettler(logger: Logger, onFailure: () => void) {
  return async (
    audit: AuditRecorder | null | undefined,
    response: HTTPGraphQLResponse,
  ): Promise<HTTPGraphQLResponse> => {
    if (!audit) return response;
    const result = await audit.written();
    if (result.ok) return response;
    reportFailure(logger, onFailure, result);
    if (response.body.kind === 'complete') {
      const body = JSON.parse(response.body.string) as ResultBody;
      redactDisclosed(body, result);
      return { ...response, body: { kind: 'complete', string: JSON.stringify(body) } };
    }
    const headers = new HeaderMap([['content-type', 'application/json; charset=utf-8']]);
    const body: ResultBody = { data: null, errors: [redaction()] };
    return { status: 200, headers, body: { kind: 'complete', string: JSON.stringify(body) } };
  };
}
