import {
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLRequestListener,
  type HTTPGraphQLResponse,
} from '@apollo/server';
import { describe, expect, it } from 'vitest';
import { auditPlugin, auditSettler } from '../../../src/privacy/audit/auditPlugin.js';
import { AuditRecorder, type FlushResult } from '../../../src/privacy/audit/recorder.js';
import { anonymousContext } from '../../../src/privacy/context/disclosureContext.js';
import type { EnforcedContext } from '../../../src/privacy/enforce/enforce.js';
import { createLogger } from '../../../src/log/logger.js';

/** The audit's last line: what leaves when the records of a disclosure cannot be written. */
const failed: FlushResult = {
  ok: false,
  paths: [['patron', 'name']],
  error: new Error('disk full'),
};

async function send(
  body: unknown,
  flush: FlushResult,
  heldByTransport = false,
): Promise<{ body: unknown; failures: number; writes: number }> {
  let failures = 0;
  let writes = 0;
  const plugin = auditPlugin(
    createLogger('test', 'silent'),
    () => (failures += 1),
  ) as ApolloServerPlugin<EnforcedContext>;
  const listener = (await plugin.requestDidStart!(
    {} as never,
  )) as GraphQLRequestListener<EnforcedContext>;
  const response = { body };
  const audit = { heldByTransport, written: async () => ((writes += 1), flush) };
  await listener.willSendResponse!({ contextValue: { privacy: { audit } }, response } as never);
  return { body: response.body, failures, writes };
}

/** A recorder with one disclosure noted, whose write succeeds or fails; `writes` counts the attempts. */
function recorderWith(write: 'succeeds' | 'fails') {
  const attempts = { writes: 0 };
  const recorder = new AuditRecorder(
    anonymousContext('req-1'),
    async () => {
      attempts.writes += 1;
      if (write === 'fails') throw new Error('disk full');
    },
    true,
  );
  const path = {
    prev: { prev: undefined, key: 'patron', typename: 'Query' },
    key: 'name',
    typename: 'Patron',
  };
  recorder.note(
    { coordinate: 'Patron.name' } as never,
    'pat_1' as never,
    { kind: 'disclose', exception: 'OPERATIONS', reference: null } as never,
    path,
  );
  return { recorder, attempts };
}

const complete = (data: unknown): HTTPGraphQLResponse => ({
  status: 200,
  headers: new HeaderMap([['content-type', 'application/graphql-response+json; charset=utf-8']]),
  body: { kind: 'complete', string: JSON.stringify({ data }) },
});

describe('a failed audit write', () => {
  it('nulls each disclosed value of a single response, with a redaction error at its path, and keeps the rest', async () => {
    const { body, failures } = await send(
      {
        kind: 'single',
        singleResult: { data: { patron: { name: 'Ada Reader', id: 'pat_1' }, branches: [] } },
      },
      failed,
    );
    expect(body).toEqual({
      kind: 'single',
      singleResult: {
        data: { patron: { name: null, id: 'pat_1' }, branches: [] },
        errors: [
          {
            message: expect.any(String),
            path: ['patron', 'name'],
            extensions: { code: 'PRIVACY_REDACTED' },
          },
        ],
      },
    });
    expect(failures).toBe(1);
  });

  it('sends nothing of an incremental response, whose later parts it could not check', async () => {
    async function* later() {
      yield {
        hasNext: false,
        incremental: [{ data: { email: 'ada@example.org' }, path: ['patron'] }],
      };
    }
    const { body } = await send(
      {
        kind: 'incremental',
        initialResult: { data: { patron: { name: 'Ada Reader' } }, hasNext: true },
        subsequentResults: later(),
      },
      failed,
    );
    expect(body).toEqual({
      kind: 'single',
      singleResult: {
        data: null,
        errors: [{ message: expect.any(String), extensions: { code: 'PRIVACY_REDACTED' } }],
      },
    });
    expect(JSON.stringify(body)).not.toMatch(/Ada|ada@/);
  });

  it('leaves a response alone when the write succeeded', async () => {
    const single = { kind: 'single', singleResult: { data: { patron: { name: 'Ada Reader' } } } };
    expect((await send(structuredClone(single), { ok: true, records: 1 })).body).toEqual(single);
  });

  it('is left to the transport when it holds the response: the plugin starts the write and returns', async () => {
    const single = { kind: 'single', singleResult: { data: { patron: { name: 'Ada Reader' } } } };
    const { body, failures, writes } = await send(structuredClone(single), failed, true);
    expect(writes).toBe(1);
    expect(body).toEqual(single);
    expect(failures).toBe(0);
  });
});

describe('the transport holding a serialized response until its audit is written', () => {
  const settle = (failures: { n: number }) =>
    auditSettler(createLogger('test', 'silent'), () => (failures.n += 1));

  it('redacts each disclosed value of the serialized response when the write fails, keeping the rest and the headers', async () => {
    const failures = { n: 0 };
    const { recorder } = recorderWith('fails');
    const sent = await settle(failures)(
      recorder,
      complete({ patron: { name: 'Ada Reader', id: 'pat_1' }, branches: [] }),
    );
    expect(sent.body.kind === 'complete' && JSON.parse(sent.body.string)).toEqual({
      data: { patron: { name: null, id: 'pat_1' }, branches: [] },
      errors: [
        {
          message: expect.any(String),
          path: ['patron', 'name'],
          extensions: { code: 'PRIVACY_REDACTED' },
        },
      ],
    });
    expect(sent.headers.get('content-type')).toBe(
      'application/graphql-response+json; charset=utf-8',
    );
    expect(failures.n).toBe(1);
  });

  it("redacts every borrower's disclosed fields in a listing when the write fails, and leaves the loans", async () => {
    const recorder = new AuditRecorder(
      anonymousContext('req-2'),
      async () => {
        throw new Error('disk full');
      },
      true,
    );
    const operations = { kind: 'disclose', exception: 'OPERATIONS', reference: null } as never;
    const at = (...keys: (string | number)[]) =>
      keys.reduce<unknown>((prev, key) => ({ prev, key, typename: 'X' }), undefined) as never;
    const loans = [
      { id: '1', patron: { id: 'pat_a', name: 'Ada Reader', email: 'ada@example.org' } },
      { id: '2', patron: null },
      { id: '3', patron: { id: 'pat_b', name: 'Bo Lender', email: 'bo@example.org' } },
      { id: '4', patron: { id: 'pat_a', name: 'Ada Reader', email: 'ada@example.org' } },
    ];
    // As the guard notes them: each borrower, then each borrower's fields.
    loans.forEach(({ patron }, i) => {
      if (patron)
        recorder.note(
          { coordinate: 'Loan.patron' } as never,
          patron.id as never,
          operations,
          at('loans', i, 'patron'),
        );
    });
    loans.forEach(({ patron }, i) => {
      for (const field of ['name', 'email'])
        if (patron)
          recorder.note(
            { coordinate: `Patron.${field}` } as never,
            patron.id as never,
            operations,
            at('loans', i, 'patron', field),
          );
    });
    const sent = await settle({ n: 0 })(recorder, complete({ loans }));
    const body = sent.body.kind === 'complete' ? sent.body.string : '';
    expect(body).not.toMatch(/Ada|Bo |example\.org|pat_/);
    expect(JSON.parse(body).data).toEqual({
      loans: [
        { id: '1', patron: null },
        { id: '2', patron: null },
        { id: '3', patron: null },
        { id: '4', patron: null },
      ],
    });
    // One redaction error per borrower withheld; the fields under a withheld borrower went with it.
    expect(JSON.parse(body).errors.map((e: { path: unknown }) => e.path)).toEqual([
      ['loans', 0, 'patron'],
      ['loans', 2, 'patron'],
      ['loans', 3, 'patron'],
    ]);
  });

  it('sends only the redaction in place of an incremental response when the write fails', async () => {
    const { recorder } = recorderWith('fails');
    async function* parts() {
      yield JSON.stringify({ data: { patron: { name: 'Ada Reader' } }, hasNext: false });
    }
    const sent = await settle({ n: 0 })(recorder, {
      headers: new HeaderMap([['content-type', 'multipart/mixed']]),
      body: { kind: 'chunked', asyncIterator: parts() },
    });
    expect(sent.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(sent.body.kind === 'complete' && JSON.parse(sent.body.string)).toEqual({
      data: null,
      errors: [{ message: expect.any(String), extensions: { code: 'PRIVACY_REDACTED' } }],
    });
  });

  it('starts the write itself when nothing did, waits for it, and sends the response unchanged once written', async () => {
    const { recorder, attempts } = recorderWith('succeeds');
    const response = complete({ patron: { name: 'Ada Reader' } });
    expect(await settle({ n: 0 })(recorder, response)).toBe(response);
    expect(attempts.writes).toBe(1);
    // The plugin and the transport share one write.
    await recorder.written();
    expect(attempts.writes).toBe(1);
  });
});
