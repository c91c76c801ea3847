import { HeaderMap, type HTTPGraphQLResponse } from '@apollo/server';
import { describe, expect, it } from 'vitest';
import {
  isReadOnlyQuery,
  SharedExecutions,
  type SharedRequest,
} from '../../src/http/sharedExecutions.js';

/**
 * A subgraph executes identical requests of one caller in flight at once only once; each request
 * keeps its own context, into which it adopts what the execution noted (its audit's disclosures).
 */

interface Ctx {
  caller: string;
  adopted?: string;
}

const request = (query: string, method = 'POST'): SharedRequest => {
  const raw = Buffer.from(JSON.stringify({ query }));
  return { method, headers: new HeaderMap(), raw, parsed: JSON.parse(raw.toString()) as unknown };
};
const answer = (text: string): HTTPGraphQLResponse => ({
  status: 200,
  headers: new HeaderMap(),
  body: { kind: 'complete', string: text },
});

/** Executions a test settles by hand, and the rules: the caller and the body are the key. */
function harness() {
  const started: {
    caller: string;
    resolve(r: HTTPGraphQLResponse): void;
    reject(e: Error): void;
  }[] = [];
  const shared = new SharedExecutions<Ctx>({
    key: (context, r) => (isReadOnlyQuery(r) ? `${context.caller}|${r.raw.toString()}` : null),
    adopt: (leader, follower) => void (follower.adopted = leader.caller),
  });
  const run = (context: Ctx, r: SharedRequest) =>
    shared.run(
      context,
      r,
      () =>
        new Promise<HTTPGraphQLResponse>((resolve, reject) =>
          started.push({ caller: context.caller, resolve, reject }),
        ),
    );
  return { shared, started, run };
}

const nextLoopTurn = () => new Promise((r) => setImmediate(r));

describe('SharedExecutions', () => {
  it('runs identical requests of one caller once; the follower adopts the leader and gets its response', async () => {
    const { shared, started, run } = harness();
    const leader: Ctx = { caller: 'staff' };
    const follower: Ctx = { caller: 'staff' };
    const first = run(leader, request('{ loans { id } }'));
    const second = run(follower, request('{ loans { id } }'));
    expect(started).toHaveLength(1);
    started[0]!.resolve(answer('{"data":{"loans":[]}}'));
    const [a, b] = await Promise.all([first, second]);
    expect(b).toBe(a);
    expect(follower.adopted).toBe('staff');
    expect(leader.adopted).toBeUndefined();
    expect(shared.followers).toBe(1);
  });

  it('a request read just after the execution ended still shares it, one a loop turn later does not', async () => {
    const { started, run } = harness();
    const first = run({ caller: 'staff' }, request('{ loans { id } }'));
    started[0]!.resolve(answer('{}'));
    await first;
    // Within the same turn: arrived while it ran, unread until it ended.
    void run({ caller: 'staff' }, request('{ loans { id } }'));
    expect(started).toHaveLength(1);
    await nextLoopTurn();
    await nextLoopTurn();
    void run({ caller: 'staff' }, request('{ loans { id } }'));
    expect(started).toHaveLength(2);
  });

  it('other callers, other queries, mutations and GETs each run on their own', async () => {
    const { shared, started, run } = harness();
    void run({ caller: 'staff' }, request('{ loans { id } }'));
    void run({ caller: 'guardian' }, request('{ loans { id } }'));
    void run({ caller: 'staff' }, request('{ loans { id dueAt } }'));
    void run({ caller: 'staff' }, request('mutation { renew(loanId: "l") { id } }'));
    void run({ caller: 'staff' }, request('mutation { renew(loanId: "l") { id } }'));
    void run({ caller: 'staff' }, request('{ loans { id } }', 'GET'));
    expect(started.map((s) => s.caller)).toHaveLength(6);
    expect(shared.followers).toBe(0);
  });

  it('a follower whose leader failed runs on its own, and gets its own answer', async () => {
    const { started, run } = harness();
    const follower: Ctx = { caller: 'staff' };
    const first = run({ caller: 'staff' }, request('{ loans { id } }'));
    const second = run(follower, request('{ loans { id } }'));
    started[0]!.reject(new Error('database is locked'));
    await expect(first).rejects.toThrow('database is locked');
    await nextLoopTurn();
    expect(started).toHaveLength(2);
    started[1]!.resolve(answer('{"data":{"loans":[]}}'));
    expect(await second).toMatchObject({ body: { string: '{"data":{"loans":[]}}' } });
    expect(follower.adopted).toBeUndefined();
  });
});

describe('isReadOnlyQuery', () => {
  it('is a POST of one query naming no mutation or subscription', () => {
    expect(isReadOnlyQuery(request('{ works { id } }'))).toBe(true);
    expect(isReadOnlyQuery(request('query Op__circulation__0 { loans { id } }'))).toBe(true);
    for (const text of [
      'mutation { renew(loanId: "l") { id } }',
      'subscription { x }',
      'query A { works { id } } mutation B { renew(loanId: "l") { id } }',
    ])
      expect(isReadOnlyQuery(request(text)), text).toBe(false);
    expect(isReadOnlyQuery(request('{ works { id } }', 'GET'))).toBe(false);
    const batch = Buffer.from('[{"query":"{ works { id } }"}]');
    expect(
      isReadOnlyQuery({
        method: 'POST',
        headers: new HeaderMap(),
        raw: batch,
        parsed: JSON.parse(batch.toString()),
      }),
    ).toBe(false);
  });
});
