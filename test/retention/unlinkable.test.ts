import { sqliteOf } from '../../src/db/open.js';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PERSONA_NAMES,
  PERSONA_PATRONS,
  SEEDED_LEGAL_ORDER,
  type PersonaName,
} from '../../src/dev/personas.js';
import { checkpoint, purge } from '../../src/retention/purge.js';
import { codes, startTestGraph, type GraphResponse, type TestGraph } from '../support/graph.js';
import { analyticsLoanId } from '../../subgraphs/circulation/analyticsLoan.js';

/**
 * After the purge, nothing links an anonymized record to its patron: no query of any persona
 * (staff and the records custodian with the seeded court order included), and no raw read of the
 * database files. The graph runs with 30-day grace periods for loans and holds, so the links exist
 * (and are visible) until the purge runs at a clock moved past them.
 */
const DAY = 86_400_000;
const LEGAL = { 'x-legal-process': SEEDED_LEGAL_ORDER };
const { patron } = PERSONA_PATRONS;

let t: TestGraph;
const logs: string[] = [];
/** Rita: a new card holder who borrows once, holds once and registers once, and does nothing else. */
const rita = { id: '', loanId: '', holdId: '', registrationId: '', eventId: '' };
let patronReturnedLoans: string[] = [];

const ok = (res: GraphResponse): Record<string, unknown> => {
  expect(res.errors ?? []).toEqual([]);
  return res.data!;
};
/** Every persona, and the custodian once more invoking the seeded order. */
const CALLERS: { persona: PersonaName; headers: Record<string, string> }[] = [
  ...PERSONA_NAMES.map((persona) => ({ persona, headers: {} })),
  { persona: 'records-custodian', headers: LEGAL },
];

beforeAll(async () => {
  const sink = new PassThrough();
  sink.on('data', (chunk: Buffer) =>
    logs.push(...chunk.toString('utf8').split('\n').filter(Boolean)),
  );
  t = await startTestGraph(
    { RETENTION_CLOSED_LOANS: '30d', RETENTION_HOLDS: '30d', LOG_LEVEL: 'info' },
    sink,
  );
  const db = t.graph.databases!;
  const item = sqliteOf(db.circulation)
    .prepare(
      `SELECT id, work_id FROM items i WHERE NOT EXISTS (SELECT 1 FROM loans l WHERE l.item_id = i.id AND l.returned_at IS NULL)
      AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.item_id = i.id AND h.status = 'READY') ORDER BY id LIMIT 1`,
    )
    .get() as { id: string; work_id: string };
  const event = sqliteOf(db.events)
    .prepare(
      `SELECT e.id FROM events e WHERE e.starts_at > ? AND e.capacity > (SELECT count(*) FROM registrations r WHERE r.event_id = e.id)
      ORDER BY e.starts_at LIMIT 1`,
    )
    .get(new Date(Date.now() + DAY).toISOString()) as { id: string };
  rita.eventId = event.id;

  const registered = ok(
    await t.query(
      'circulation-staff',
      `mutation { registerPatron(input: { name: "Rita Retention", birthDate: "1981-04-04", homeBranchId: "br_03", pin: "4821" }) { id cardNumber } }`,
    ),
  );
  rita.id = (registered.registerPatron as { id: string }).id;
  // Staff act for Rita with the card she presents (on-behalf actions take the card, not the id).
  const card = (registered.registerPatron as { cardNumber: string }).cardNumber;
  const loan = ok(
    await t.query(
      'circulation-staff',
      'mutation($i: ID!, $c: String) { checkout(itemId: $i, cardNumber: $c) { id } }',
      { i: item.id, c: card },
    ),
  );
  rita.loanId = (loan.checkout as { id: string }).id;
  ok(
    await t.query('circulation-staff', 'mutation($i: ID!) { returnItem(itemId: $i) { id } }', {
      i: item.id,
    }),
  );
  const hold = ok(
    await t.query(
      'circulation-staff',
      'mutation($w: ID!, $c: String) { placeHold(workId: $w, pickupBranchId: "br_01", cardNumber: $c) { id } }',
      { w: item.work_id, c: card },
    ),
  );
  rita.holdId = (hold.placeHold as { id: string }).id;
  ok(
    await t.query('circulation-staff', 'mutation($h: ID!) { cancelHold(holdId: $h) { id } }', {
      h: rita.holdId,
    }),
  );
  const seat = ok(
    await t.query(
      'events-staff',
      'mutation($e: ID!, $c: String) { registerForEvent(eventId: $e, cardNumber: $c) { id } }',
      { e: event.id, c: card },
    ),
  );
  rita.registrationId = (seat.registerForEvent as { id: string }).id;
  patronReturnedLoans = (
    sqliteOf(db.circulation)
      .prepare('SELECT id FROM loans WHERE patron_id = ? AND returned_at IS NOT NULL')
      .all(patron.id) as { id: number }[]
  ).map((r) => String(r.id));
});
afterAll(() => t?.stop());

/** Every B-tree (table or index) of `file` holding `needle` on one of its pages; free pages show as '(free)'. */
function btreesContaining(file: string, needle: string): string[] {
  const owners = new Map<number, string>();
  const db = new Database(file, { readonly: true });
  const pageSize = Number(db.pragma('page_size', { simple: true }));
  for (const row of db.prepare('SELECT name, pageno FROM dbstat').all() as {
    name: string;
    pageno: number;
  }[])
    owners.set(row.pageno, row.name);
  db.close();
  const bytes = fs.readFileSync(file);
  const found = new Set<string>();
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1))
    found.add(owners.get(Math.floor(at / pageSize) + 1) ?? '(free)');
  return [...found].sort();
}
const occurrences = (file: string, needle: string): number =>
  fs.existsSync(file) ? fs.readFileSync(file).toString('latin1').split(needle).length - 1 : 0;

describe('before the purge (30-day grace periods)', () => {
  it("circulation staff see who returned Rita's loan, and her id sits in the loan and hold pages of the file", async () => {
    // Anonymized loans in the list come back with `patron` redacted (null and one error each).
    const res = await t.query(
      'circulation-staff',
      '{ loans(status: RETURNED, first: 5) { nodes { id patron { id } } } }',
    );
    const nodes = (res.data!.loans as { nodes: { id: string; patron: { id: string } | null }[] })
      .nodes;
    expect(nodes.find((n) => n.id === rita.loanId)?.patron).toEqual({ id: rita.id });
    const db = t.graph.databases!;
    expect(await checkpoint(db.circulation.db as never)).toBe(true);
    expect(btreesContaining(path.join(t.dataDir, 'circulation.db'), rita.id)).toEqual(
      expect.arrayContaining(['holds', 'loans', 'loans_patron', 'patrons']),
    );
    expect(
      occurrences(path.join(t.dataDir, 'events.db'), rita.id) +
        occurrences(path.join(t.dataDir, 'events.db-wal'), rita.id),
    ).toBeGreaterThan(0);
  });
});

describe("reading history is the patron's alone", () => {
  it('staff listing returned loans see no borrower on the loans the patron keeps only as reading history', async () => {
    const res = await t.query(
      'circulation-staff',
      '{ loans(status: RETURNED, first: 200) { nodes { id patron { id } } } }',
    );
    // No borrower to withhold: a plain null, the same as an anonymized loan, so staff cannot even
    // tell a loan kept in someone's reading history from one that was anonymized.
    expect(codes(res)).toEqual([]);
    const nodes = (res.data!.loans as { nodes: { id: string; patron: { id: string } | null }[] })
      .nodes;
    const mine = nodes.filter((n) => patronReturnedLoans.includes(n.id));
    expect(mine).toHaveLength(5);
    // The late one keeps its link for its unpaid fine (operations); the other four only for the patron.
    expect(mine.filter((n) => n.patron !== null)).toEqual([
      { id: finedLoanId(), patron: { id: patron.id } },
    ]);
    const own = ok(await t.query('patron', '{ me { readingHistory { id } } }')).me as {
      readingHistory: { id: string }[];
    };
    expect(own.readingHistory.map((l) => l.id).sort()).toEqual([...patronReturnedLoans].sort());
  });
});

describe('the purge, with the clock past the grace periods and the event', () => {
  it('anonymizes her loan, hold and registration, and a rerun changes nothing', async () => {
    const db = t.graph.databases!;
    const targets = { circulation: db.circulation.db, events: db.events.db };
    const now = new Date(Date.now() + 120 * DAY);
    const report = await purge(targets, { rules: t.config.retention.rules, now });
    expect(report.anonymized.loans).toBeGreaterThanOrEqual(1);
    expect(report.anonymized.holds).toBeGreaterThanOrEqual(1);
    expect(report.anonymized.registrations).toBeGreaterThanOrEqual(1);
    expect(report.checkpointed).toBe(true);
    expect((await purge(targets, { rules: t.config.retention.rules, now })).total).toBe(0);
  });

  it('the patron turning reading history off anonymizes their returned loans at once, except the one with an unpaid fine', async () => {
    expect(patronReturnedLoans).toHaveLength(5);
    const res = await t.query(
      'patron',
      'mutation { setReadingHistory(enabled: false) { enabled loansAnonymized } }',
    );
    expect(ok(res).setReadingHistory).toEqual({ enabled: false, loansAnonymized: 4 });
    expect(ok(await t.query('patron', '{ me { readingHistory { id } } }')).me).toEqual({
      readingHistory: [],
    });
  });

  it('only the patron may set reading history, for themself', async () => {
    for (const persona of [
      'anonymous',
      'circulation-staff',
      'events-staff',
      'partner',
      'records-custodian',
      'analytics',
    ] as const) {
      const res = await t.query(
        persona,
        'mutation { setReadingHistory(enabled: true) { enabled } }',
      );
      expect(codes(res), persona).toEqual(['FORBIDDEN']);
    }
  });
});

describe('after the purge, no persona can link an anonymized record to its patron', () => {
  /** The loans, holds and seats a patron-shaped answer (`patron`, `me`) attributes to its patron. */
  function attributed(person: unknown): {
    loans: string[];
    holds: string[];
    registrations: string[];
  } {
    const p = (person ?? {}) as Record<
      string,
      { id?: string; loan?: { id: string } | null }[] | null
    >;
    const ids = (list: { id?: string }[] | null | undefined) => (list ?? []).map((x) => x.id ?? '');
    return {
      loans: [
        ...ids(p.loans),
        ...ids(p.readingHistory),
        ...(p.fines ?? []).map((f) => f.loan?.id ?? ''),
      ],
      holds: ids(p.holds),
      registrations: ids(p.registrations),
    };
  }

  it.each(
    CALLERS.map(
      (c) => [c.persona + (c.headers['x-legal-process'] ? ' + court order' : ''), c] as const,
    ),
  )('%s', async (_, caller) => {
    const ask = (query: string) => t.query(caller.persona, query, undefined, caller.headers);
    const gone = {
      loans: [rita.loanId, ...patronReturnedLoans.filter((id) => id !== finedLoanId())],
      holds: [rita.holdId],
      registrations: [rita.registrationId],
    };
    const people = [
      (
        await ask(
          `{ patron(id: "${rita.id}") { id name loans { id } holds { id } fines { id loan { id } } readingHistory { id } registrations { id } } }`,
        )
      ).data?.patron,
      (
        await ask(
          `{ patron(id: "${patron.id}") { id loans { id } holds { id } fines { loan { id } } readingHistory { id } registrations { id } } }`,
        )
      ).data?.patron,
      (
        await ask(
          '{ me { id loans { id } holds { id } fines { loan { id } } readingHistory { id } registrations { id } } }',
        )
      ).data?.me,
    ];
    for (const person of people) {
      const seen = attributed(person);
      for (const kind of ['loans', 'holds', 'registrations'] as const) {
        expect(
          seen[kind].filter((id) => gone[kind].includes(id)),
          kind,
        ).toEqual([]);
      }
    }
    // Where an anonymized loan or seat is listed, no patron comes with it.
    const loans = (
      await ask('{ loans(status: RETURNED, first: 200) { nodes { id patron { id name } } } }')
    ).data?.loans as { nodes: { id: string; patron: unknown }[] } | null;
    // Analytics see loan ids as keyed digests per checkout period (subgraphs/circulation/analyticsLoan.ts).
    const idOf = (id: string) => {
      if (caller.persona !== 'analytics') return id;
      const row = sqliteOf(t.graph.databases!.circulation)
        .prepare('SELECT checked_out_at FROM loans WHERE id = ?')
        .get(Number(id)) as { checked_out_at: string };
      return analyticsLoanId(
        Number(id),
        row.checked_out_at,
        t.config.analytics.pseudonymKey,
        t.config.analytics.pseudonymPeriod,
      );
    };
    const goneIds = gone.loans.map(idOf);
    const listed = (loans?.nodes ?? []).filter((n) => goneIds.includes(n.id));
    if (loans) expect(listed.map((n) => n.id)).toContain(idOf(rita.loanId));
    for (const node of listed) expect(node.patron).toBeNull();
    const event = (
      await ask(`{ event(id: "${rita.eventId}") { registrations { id attendee { id name } } } }`)
    ).data?.event as { registrations: { id: string; attendee: unknown }[] } | null;
    const seat = event?.registrations.find((r) => r.id === rita.registrationId);
    expect(seat).toBeDefined();
    expect(seat!.attendee).toBeNull();
  });

  it('the anonymized loan is still there for statistics: item, branch, the day, no borrower', async () => {
    const res = await t.query(
      'circulation-staff',
      '{ loans(status: RETURNED, first: 5) { nodes { id returnedAt patron { id } } } }',
    );
    const node = (
      res.data!.loans as { nodes: { id: string; returnedAt: string; patron: unknown }[] }
    ).nodes.find((n) => n.id === rita.loanId);
    expect(node).toMatchObject({
      patron: null,
      returnedAt: expect.stringMatching(/T00:00:00\.000Z$/),
    });
  });
});

describe('no raw read of the database files links them either', () => {
  it("Rita's id is left only in her own patron record; not in loans, holds, fines, registrations, their indexes, free pages or the WAL", async () => {
    // Rita has no other rows (no open loan, no fine, no consent, order or guardianship), so once
    // her loan, hold and registration are anonymized, her card-holder record is the only place her
    // id may remain. Read the bytes after a checkpoint, as someone copying the files would.
    const db = t.graph.databases!;
    expect(await checkpoint(db.circulation.db as never)).toBe(true);
    expect(await checkpoint(db.events.db as never)).toBe(true);
    const file = (name: string) => path.join(t.dataDir, name);
    expect(btreesContaining(file('circulation.db'), rita.id)).toEqual([
      'patrons',
      'sqlite_autoindex_patrons_1',
    ]);
    for (const name of [
      'circulation.db-wal',
      'events.db',
      'events.db-wal',
      'events.db-shm',
      'circulation.db-shm',
    ]) {
      expect(occurrences(file(name), rita.id), name).toBe(0);
    }
    expect(fs.statSync(file('circulation.db-wal')).size).toBe(0);
  });
});

describe('the in-process schedule', () => {
  it('is started by the graph, runs on demand, and logs counts without ids', async () => {
    expect(t.graph.purge?.nextRun()).toBeInstanceOf(Date);
    const report = await t.graph.purge!.runNow();
    expect(report).toMatchObject({ interrupted: false, checkpointed: true });
    const line = logs.find((l) => l.includes('retention purge done'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({
      anonymized: { loans: expect.any(Number) },
      rules: { closedLoans: '30d' },
    });
    for (const l of logs.filter((x) => x.includes('retention')))
      expect(l).not.toMatch(/pat_[0-9a-f]{12}/);
  });
});

/** The patron persona's late, fined loan: its fine is unpaid, so it keeps its link. */
function finedLoanId(): string {
  const row = sqliteOf(t.graph.databases!.circulation)
    .prepare('SELECT loan_id FROM fines WHERE patron_id = ? AND paid_at IS NULL')
    .get(patron.id) as { loan_id: number };
  return String(row.loan_id);
}
