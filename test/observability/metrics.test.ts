/**
 * The Prometheus metrics of the graph, as a scraper reads them: every family with HELP and TYPE,
 * request durations per operation type at the gateway, per subgraph fetch, disclosures by field
 * and exception, audit write latency, process metrics; and no label a caller can grow or that
 * names a subject.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS } from '../../src/dev/personas.js';
import { onlyService } from '../../src/observability/metrics.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

const TOKEN = 'scraper-token-for-the-observability-tests-0123';
const { patron, minor } = PERSONA_PATRONS;
let t: TestGraph;

const metricsOf = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '/metrics');
const scrape = async (graphqlUrl: string): Promise<string> => {
  const response = await fetch(metricsOf(graphqlUrl), {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};
/** The value of one sample, by its exact series text (0 when absent). */
const sample = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
};
/** Every series (name and labels) of the families starting with `prefix`. */
const seriesOf = (text: string, prefix: string): Set<string> =>
  new Set(
    text
      .split('\n')
      .filter((l) => l.startsWith(prefix))
      .map((l) => l.slice(0, l.lastIndexOf(' '))),
  );

beforeAll(async () => {
  t = await startTestGraph({
    METRICS_TOKEN: TOKEN,
    METRICS_PORT: '0',
    RATE_LIMIT_PRINCIPAL_BURST: '10000',
    RATE_LIMIT_ANONYMOUS_BURST: '10000',
  });
  // A disclosing read (OPERATIONS), a mutation (a card login), a redaction.
  const read = await t.query(
    'circulation-staff',
    'query($id: ID!) { patron(id: $id) { name email loans { id item { barcode } } } }',
    { id: patron.id },
  );
  expect(read.errors).toBeUndefined();
  await t.query(
    'anonymous',
    'mutation($c: String!, $p: String!) { authenticateWithCard(cardNumber: $c, pin: $p) { token } }',
    { c: minor.cardNumber, p: minor.pin },
  );
  await t.query('partner', `{ patron(id: "${minor.id}") { name } }`);
});
afterAll(async () => t?.stop());

describe("the gateway's /metrics", () => {
  it('is 401 without the scraper token or with a wrong one', async () => {
    expect((await fetch(metricsOf(t.gatewayUrl))).status).toBe(401);
    expect(
      (await fetch(metricsOf(t.gatewayUrl), { headers: { authorization: 'Bearer nope' } })).status,
    ).toBe(401);
  });

  it('times requests per operation type, and each subgraph fetch of their query plans', async () => {
    const text = await scrape(t.gatewayUrl);
    expect(
      sample(
        text,
        'library_gateway_request_duration_seconds_count{service="gateway",operation_type="query",outcome="ok"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        text,
        'library_gateway_request_duration_seconds_count{service="gateway",operation_type="mutation",outcome="ok"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        text,
        'library_gateway_request_duration_seconds_count{service="gateway",operation_type="query",outcome="error"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    for (const subgraph of ['circulation', 'catalog']) {
      expect(
        sample(
          text,
          `library_gateway_subgraph_fetch_duration_seconds_count{service="gateway",subgraph="${subgraph}",operation_type="query",outcome="ok"}`,
        ),
      ).toBeGreaterThanOrEqual(1);
    }
    expect(text).toMatch(
      /library_gateway_request_duration_seconds_bucket\{le="0\.05",service="gateway",operation_type="query",outcome="ok"\} \d+/,
    );
    // Its own port shows the gateway's series and the process's, not the subgraphs'.
    expect(text).not.toMatch(/service="circulation"/);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('gives an unparsable operation and a hostile operation name no series of their own', async () => {
    const before = seriesOf(await scrape(t.gatewayUrl), 'library_gateway_');
    await t.query('anonymous', '{ not graphql');
    const after = seriesOf(await scrape(t.gatewayUrl), 'library_gateway_');
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 40; i++)
        await t.query(
          'circulation-staff',
          `query Q_${round}_${i}_${patron.cardNumber} { branches { id } }`,
        );
      const grown = seriesOf(await scrape(t.gatewayUrl), 'library_gateway_');
      for (const series of grown)
        expect(after.has(series) || before.has(series), series).toBe(true);
    }
    expect([...after].some((s) => s.includes('operation_type="unknown"'))).toBe(true);
  });
});

describe("the subgraphs' /metrics", () => {
  it('count disclosures and redactions by field and exception or reason, and time audit writes', async () => {
    const text = await scrape(t.graph.urls.circulation!);
    expect(
      sample(
        text,
        'library_privacy_disclosures_total{service="circulation",field="Patron.name",exception="OPERATIONS"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        text,
        'library_privacy_redactions_total{service="circulation",field="Query.patron",reason="no-exception-for-caller"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        text,
        'library_audit_write_duration_seconds_count{service="circulation",outcome="ok"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(
        text,
        'library_subgraph_request_duration_seconds_count{service="circulation",operation_type="query",outcome="ok"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'library_privacy_audit_failures_total{service="circulation"}')).toBe(0);
    expect(text).not.toMatch(/service="(catalog|events|gateway)"/);
  });

  it('count a list decision by decision, once per row: disclosed patrons and loans whose borrower is unlinked', async () => {
    const series = (field: string, what: string) =>
      what === 'no-subject'
        ? `library_privacy_redactions_total{service="circulation",field="${field}",reason="no-subject"}`
        : `library_privacy_disclosures_total{service="circulation",field="${field}",exception="OPERATIONS"}`;
    const counts = async () => {
      const text = await scrape(t.graph.urls.circulation!);
      return {
        unlinked: sample(text, series('Loan.patron', 'no-subject')),
        disclosed: sample(text, series('Loan.patron', 'OPERATIONS')),
      };
    };
    const before = await counts();
    const res = await t.query(
      'circulation-staff',
      '{ loans(first: 1000) { nodes { id patron { id name } } } }',
    );
    expect(res.errors).toBeUndefined();
    const nodes = (res.data!.loans as { nodes: { patron: unknown }[] }).nodes;
    const unlinked = nodes.filter((n) => n.patron === null).length;
    // The demo seed holds returned loans whose borrower retention unlinked, and open ones.
    expect(unlinked).toBeGreaterThan(0);
    expect(nodes.length - unlinked).toBeGreaterThan(0);
    const after = await counts();
    expect(after.unlinked - before.unlinked).toBe(unlinked);
    expect(after.disclosed - before.disclosed).toBe(nodes.length - unlinked);
  });

  it('count the decisions of requests answered with an identical execution in flight, once for each request', async () => {
    const listing = '{ loans(first: 1000) { nodes { id patron { id name } } } }';
    const series = (reason: string) =>
      reason === 'no-subject'
        ? 'library_privacy_redactions_total{service="circulation",field="Loan.patron",reason="no-subject"}'
        : 'library_privacy_disclosures_total{service="circulation",field="Loan.patron",exception="OPERATIONS"}';
    const counts = async () => {
      const text = await scrape(t.graph.urls.circulation!);
      return {
        shared: sample(text, 'library_subgraph_shared_responses_total{service="circulation"}'),
        unlinked: sample(text, series('no-subject')),
        disclosed: sample(text, series('OPERATIONS')),
      };
    };
    const before = await counts();
    const requests = 8;
    const answers = await Promise.all(
      Array.from({ length: requests }, () => t.query('circulation-staff', listing)),
    );
    for (const res of answers) expect(res.errors).toBeUndefined();
    const nodes = (answers[0]!.data!.loans as { nodes: { patron: unknown }[] }).nodes;
    const unlinked = nodes.filter((n) => n.patron === null).length;
    const after = await counts();
    // Some of them shared an execution, and every one of them is counted.
    expect(after.shared - before.shared).toBeGreaterThan(0);
    expect(after.unlinked - before.unlinked).toBe(requests * unlinked);
    expect(after.disclosed - before.disclosed).toBe(requests * (nodes.length - unlinked));
  });

  it('the loopback admin port shows every service of the process, each family once', async () => {
    const [url] = t.graph.metricsUrls as [string];
    const text = await (await fetch(url)).text();
    for (const service of ['gateway', 'catalog', 'circulation', 'events'])
      expect(text).toContain(`service="${service}"`);
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
  });
});

describe('every metric', () => {
  it("has HELP and TYPE, and no label value that names a patron, a card, a barcode or a caller's text", async () => {
    const [url] = t.graph.metricsUrls as [string];
    const text = await (await fetch(url)).text();
    const lines = text.split('\n').filter((l) => l !== '');
    const described = new Set(
      lines.filter((l) => l.startsWith('# HELP ')).map((l) => l.split(' ')[2]),
    );
    const typed = new Map(
      lines
        .filter((l) => l.startsWith('# TYPE '))
        .map((l) => [l.split(' ')[2], l.split(' ')[3]] as const),
    );
    const samples = lines.filter((l) => !l.startsWith('#'));
    expect(samples.length).toBeGreaterThan(50);
    for (const line of samples) {
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0];
      const family = typed.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
      expect(typed.has(family), `TYPE of ${name}`).toBe(true);
      expect(described.has(family), `HELP of ${name}`).toBe(true);
    }
    const labels = samples.map((l) => /\{(.*)\}/.exec(l)?.[1] ?? '').join('\n');
    for (const value of [
      patron.id,
      patron.name,
      patron.cardNumber,
      patron.email,
      minor.id,
      minor.cardNumber,
      minor.pin,
      'Q_0_',
      'pat_',
    ]) {
      expect(labels.includes(value), value).toBe(false);
    }
    // Label values come from fixed sets only.
    for (const [, key, value] of labels.matchAll(/(\w+)="([^"]*)"/g)) {
      if (key === 'field') expect(value).toMatch(/^[A-Z]\w*\.\w+$/);
      if (key === 'operation_type')
        expect(['query', 'mutation', 'subscription', 'unknown']).toContain(value);
      if (key === 'service' || key === 'subgraph')
        expect(['gateway', 'catalog', 'circulation', 'events']).toContain(value);
    }
  });
});

describe("one service's view of the process registry", () => {
  it('keeps its own series and the unlabelled ones, with their HELP and TYPE, and drops the families left empty', () => {
    const text = [
      '# HELP a_total A.',
      '# TYPE a_total counter',
      'a_total{service="x",field="F.f"} 1',
      'a_total{service="y",field="F.f"} 2',
      '# HELP b_total B.',
      '# TYPE b_total counter',
      'b_total{service="y"} 3',
      '# HELP c C.',
      '# TYPE c gauge',
      'c 4',
      '',
    ].join('\n');
    expect(onlyService(text, 'x')).toBe(
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        'a_total{service="x",field="F.f"} 1',
        '# HELP c C.',
        '# TYPE c gauge',
        'c 4',
        '',
      ].join('\n'),
    );
  });
});
