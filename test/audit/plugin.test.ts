import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { auditPlugin } from '../../src/privacy/audit/auditPlugin.js';
import type { FlushResult } from '../../src/privacy/audit/recorder.js';
import type { EnforcedContext } from '../../src/privacy/redact/enforce.js';
import { createLogger } from '../../src/log/logger.js';

/** The audit's last line: what leaves when the records of a disclosure cannot be written. */
const failed: FlushResult = { ok: false, paths: [['patron', 'name']], error: new Error('disk full') };

async function send(body: unknown, flush: FlushResult): Promise<{ body: unknown; failures: number }> {
  let failures = 0;
  const plugin = auditPlugin(createLogger('test', 'silent'), () => (failures += 1)) as ApolloServerPlugin<EnforcedContext>;
  const listener = (await plugin.requestDidStart!({} as never)) as GraphQLRequestListener<EnforcedContext>;
  const response = { body };
  await listener.willSendResponse!({ contextValue: { privacy: { audit: { flush: async () => flush } } }, response } as never);
  return { body: response.body, failures };
}

describe('a failed audit write', () => {
  it('nulls each disclosed value of a single response, with a redaction error at its path, and keeps the rest', async () => {
    const { body, failures } = await send({ kind: 'single', singleResult: { data: { patron: { name: 'Ada Reader', id: 'pat_1' }, branches: [] } } }, failed);
    expect(body).toEqual({
      kind: 'single',
      singleResult: {
        data: { patron: { name: null, id: 'pat_1' }, branches: [] },
        errors: [{ message: expect.any(String), path: ['patron', 'name'], extensions: { code: 'PRIVACY_REDACTED' } }],
      },
    });
    expect(failures).toBe(1);
  });

  it('sends nothing of an incremental response, whose later parts it could not check', async () => {
    async function* later() {
      yield { hasNext: false, incremental: [{ data: { email: 'ada@example.org' }, path: ['patron'] }] };
    }
    const { body } = await send({ kind: 'incremental', initialResult: { data: { patron: { name: 'Ada Reader' } }, hasNext: true }, subsequentResults: later() }, failed);
    expect(body).toEqual({ kind: 'single', singleResult: { data: null, errors: [{ message: expect.any(String), extensions: { code: 'PRIVACY_REDACTED' } }] } });
    expect(JSON.stringify(body)).not.toMatch(/Ada|ada@/);
  });

  it('leaves a response alone when the write succeeded', async () => {
    const single = { kind: 'single', singleResult: { data: { patron: { name: 'Ada Reader' } } } };
    expect((await send(structuredClone(single), { ok: true, records: 1 })).body).toEqual(single);
  });
});
