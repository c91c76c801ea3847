/**
 * `/metrics` is for an authorized scraper only, and its counters are no existence oracle: an
 * unknown patron id and an existing one the caller may not see move exactly the same series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { PERSONAS, type PersonaName } from '../../src/dev/personas.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

const TOKEN = 'scraper-token-for-tests-0123456789abcdef';
const UNKNOWN = 'pat_000000000000';
const metricsOf = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '/metrics');

let t: TestGraph;
beforeAll(async () => {
  t = await startTestGraph({ METRICS_TOKEN: TOKEN, METRICS_PORT: '0' });
});
afterAll(async () => t?.stop());

describe('who may read /metrics', () => {
  it.each(['catalog', 'circulation', 'events'] as const)(
    '%s: 401 without the token or with a wrong one, 200 with it',
    async (name) => {
      const url = metricsOf(t.graph.urls[name]!);
      const attempts: Record<string, string>[] = [
        {},
        { authorization: 'Bearer wrong-token' },
        { authorization: `Bearer ${TOKEN}x` },
        { authorization: TOKEN },
      ];
      for (const headers of attempts) {
        const response = await fetch(url, { headers });
        expect(response.status).toBe(401);
        expect(await response.text()).not.toContain('library_privacy');
      }
      const allowed = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(allowed.status).toBe(200);
      expect(await allowed.text()).toContain(
        `library_privacy_audit_failures_total{service="${name}"}`,
      );
    },
  );

  it('the loopback admin port serves every subgraph of the process without a token, bound to 127.0.0.1', async () => {
    expect(t.graph.metricsUrls).toHaveLength(1);
    const [metricsUrl] = t.graph.metricsUrls as [string];
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const text = await (await fetch(metricsUrl)).text();
    for (const name of ['catalog', 'circulation', 'events'])
      expect(text).toContain(`library_privacy_audit_failures_total{service="${name}"}`);
    expect((await fetch(metricsUrl.replace(/metrics$/, 'graphql'))).status).toBe(404);
  });

  it('by default (no token, no port) /metrics is not served at all', async () => {
    const plain = await startTestGraph();
    try {
      expect(plain.graph.metricsUrls).toEqual([]);
      const response = await fetch(metricsOf(plain.graph.urls.circulation!), {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toContain('library_privacy');
    } finally {
      await plain.stop();
    }
  });

  it('production refuses a short METRICS_TOKEN, naming the variable and not the token', () => {
    const env = { NODE_ENV: 'production', METRICS_TOKEN: 'short-token' } as const;
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/METRICS_TOKEN: production needs at least 32 characters/);
    try {
      loadConfig(env);
    } catch (error) {
      expect((error as Error).message).not.toContain('short-token');
    }
    expect(() => loadConfig({ NODE_ENV: 'production', METRICS_TOKEN: TOKEN })).not.toThrow(
      /METRICS_TOKEN/,
    );
  });
});

/**
 * Every series of circulation's privacy counters and its value. (Durations and process metrics
 * move with any request and with time; the privacy counters are what could name a subject.)
 */
async function scrape(): Promise<Map<string, number>> {
  const text = await (
    await fetch(metricsOf(t.graph.urls.circulation!), {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
  ).text();
  const samples = text
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('library_privacy_'));
  return new Map(
    samples.map(
      (line) =>
        [
          line.slice(0, line.lastIndexOf(' ')),
          Number(line.slice(line.lastIndexOf(' ') + 1)),
        ] as const,
    ),
  );
}

/** The series one query moved, and by how much. */
async function moved(
  persona: PersonaName,
  id: string,
  headers: Record<string, string> = {},
): Promise<Record<string, number>> {
  const before = await scrape();
  const response = await t.query(persona, `{ patron(id: "${id}") { name } }`, undefined, headers);
  expect(response.data).toEqual({ patron: null });
  expect(response.errors?.map((e) => e.extensions?.code)).toEqual(['PRIVACY_REDACTED']);
  const after = await scrape();
  const delta: Record<string, number> = {};
  for (const [series, value] of after)
    if (value !== (before.get(series) ?? 0)) delta[series] = value - (before.get(series) ?? 0);
  return delta;
}

describe('the counters reveal no subject', () => {
  const cases: { persona: PersonaName; forbidden: string; headers: Record<string, string> }[] = [
    { persona: 'partner' as const, forbidden: PERSONAS.minor.patronId!, headers: {} },
    { persona: 'patron' as const, forbidden: PERSONAS.guardian.patronId!, headers: {} },
    { persona: 'guardian' as const, forbidden: PERSONAS.patron.patronId!, headers: {} },
    {
      persona: 'records-custodian' as const,
      forbidden: PERSONAS.minor.patronId!,
      headers: { 'x-legal-process': 'JEFFCO-2026-CV-0142' },
    },
  ];
  it.each(cases)(
    '$persona: an unknown id and an existing forbidden one move the same series',
    async ({ persona, forbidden, headers }) => {
      const unknown = await moved(persona, UNKNOWN, headers);
      const existing = await moved(persona, forbidden, headers);
      expect(Object.keys(unknown).length).toBeGreaterThan(0);
      expect(unknown).toEqual(existing);
      expect(JSON.stringify(unknown)).not.toMatch(/pat_|missing-fact/);
    },
  );

  it('counts redactions per field and reason, with no subject ids anywhere', async () => {
    await t.query('partner', `{ patron(id: "${PERSONAS.minor.patronId!}") { name } }`);
    const text = await (
      await fetch(metricsOf(t.graph.urls.circulation!), {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).text();
    expect(text).toMatch(
      /library_privacy_redactions_total\{service="circulation",field="Query.patron",reason="no-exception-for-caller"\} \d+/,
    );
    expect(text).not.toMatch(/pat_/);
  });
});
