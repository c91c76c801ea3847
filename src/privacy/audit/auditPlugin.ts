import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import { REDACTED_MESSAGE } from '../../errors/codes.js';
import type { EnforcedContext } from '../redact/enforce.js';

type Json = Record<string, unknown> | unknown[];

/** Sets the value at `path` to null when it is there. */
function nullAt(data: Json, path: (string | number)[]): boolean {
  let node: unknown = data;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return false;
    node = (node as Record<string | number, unknown>)[key];
  }
  const last = path[path.length - 1];
  if (node === null || typeof node !== 'object' || last === undefined || !(last in node)) return false;
  (node as Record<string | number, unknown>)[last] = null;
  return true;
}

/**
 * Writes the request's disclosure records before its response is sent. When the write fails, the
 * response is sent with every disclosed value replaced by the contract's redaction: nothing is
 * disclosed unaudited.
 */
export function auditPlugin(logger: Logger, onFailure: () => void): ApolloServerPlugin<EnforcedContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const audit = contextValue.privacy?.audit;
          if (!audit) return;
          const result = await audit.flush();
          if (result.ok) return;
          onFailure();
          logger.error({ err: result.error instanceof Error ? result.error.message : 'unknown', fields: result.paths.length }, 'audit write failed; disclosed values redacted');
          const redacted = { message: REDACTED_MESSAGE, extensions: { code: 'PRIVACY_REDACTED' } };
          if (response.body.kind !== 'single') {
            // An incremental response (@defer, graphql 17) would send later parts unchecked: send
            // none of it, only the redaction.
            response.body = { kind: 'single', singleResult: { data: null, errors: [redacted] } };
            return;
          }
          const single = response.body.singleResult;
          const errors = [...(single.errors ?? [])];
          for (const path of result.paths) {
            if (single.data && nullAt(single.data, path)) {
              errors.push({ ...redacted, path });
            }
          }
          single.errors = errors;
        },
      };
    },
  };
}
