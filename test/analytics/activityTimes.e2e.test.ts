/**
 * No exact time of patron activity without an exception (issue 15, point 4). Every persona asks
 * for every timestamp that follows from a patron's activity, by every path the graph offers: an
 * item's due time (through `item`, `works` and a loan), a loan's times, a hold's placing, a
 * registration's time. A time of day other than midnight is allowed only where the persona holds
 * an exception for that row's patron; everywhere else the time must be cut to its day.
 */
import { sql, type QueryExecutorProvider, type RawBuilder } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_NAMES, PERSONAS, type PersonaName } from '../../src/dev/personas.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

let t: TestGraph;
/** Patron of each loan, hold and registration, by id; and of each item's open loan. */
const owner = {
  loan: new Map<string, string | null>(),
  hold: new Map<string, string | null>(),
  registration: new Map<string, string | null>(),
  item: new Map<string, string | null>(),
};
let guardianOf = new Map<string, string[]>();
let consented = new Set<string>();
let onLoan: string[] = [];

beforeAll(async () => {
  t = await startTestGraph();
  // Engine-neutral SQL (Kysely's sql), so the file runs on SQLite and on PostgreSQL alike.
  const c = t.graph.databases!.circulation.db;
  const e = t.graph.databases!.events.db;
  const rows = async <Row>(db: QueryExecutorProvider, query: RawBuilder<Row>) =>
    (await query.execute(db)).rows;
  for (const r of await rows(
    c,
    sql<{ id: number; patron_id: string | null }>`SELECT id, patron_id FROM loans`,
  ))
    owner.loan.set(String(r.id), r.patron_id);
  for (const r of await rows(
    c,
    sql<{ id: number; patron_id: string | null }>`SELECT id, patron_id FROM holds`,
  ))
    owner.hold.set(String(r.id), r.patron_id);
  for (const r of await rows(
    c,
    sql<{
      item_id: string;
      patron_id: string | null;
    }>`SELECT item_id, patron_id FROM loans WHERE returned_at IS NULL`,
  ))
    owner.item.set(r.item_id, r.patron_id);
  for (const r of await rows(
    e,
    sql<{ id: number; patron_id: string | null }>`SELECT id, patron_id FROM registrations`,
  ))
    owner.registration.set(String(r.id), r.patron_id);
  guardianOf = new Map();
  for (const g of await rows(
    c,
    sql<{ guardian_id: string; minor_id: string }>`SELECT guardian_id, minor_id FROM guardianships`,
  )) {
    guardianOf.set(g.guardian_id, [...(guardianOf.get(g.guardian_id) ?? []), g.minor_id]);
  }
  consented = new Set(
    (await rows(c, sql<{ patron_id: string }>`SELECT patron_id FROM consents`)).map(
      (r) => r.patron_id,
    ),
  );
  // Items on loan with a time of day: the due time of these is what an anonymous caller could read.
  onLoan = (
    await rows(
      c,
      sql<{
        item_id: string;
      }>`SELECT item_id FROM loans WHERE returned_at IS NULL AND patron_id IS NOT NULL AND substr(due_at, 11) <> 'T00:00:00.000Z' ORDER BY item_id LIMIT 40`,
    )
  ).map((r) => r.item_id);
}, 120_000);
afterAll(async () => t?.stop());

type Kind = keyof typeof owner;
/** Whether `persona` may hold an exception for `patron` on rows of `kind` (generous: any doubt allows). */
function mayKnow(persona: PersonaName, kind: Kind, patron: string | null | undefined): boolean {
  if (!patron) return false;
  const self = PERSONAS[persona as Exclude<PersonaName, 'anonymous'>]?.patronId;
  if (self && (patron === self || (guardianOf.get(self) ?? []).includes(patron))) return true;
  if (persona === 'circulation-staff') return kind !== 'registration';
  if (persona === 'events-staff') return kind === 'registration';
  if (persona === 'partner') return consented.has(patron);
  return false;
}

const QUERIES: {
  kind: Kind;
  query: () => string;
  rows: (data: Record<string, unknown>) => { id: string; at: string | null }[];
}[] = [
  {
    kind: 'item',
    query: () => `{ ${onLoan.map((id, i) => `i${i}: item(id: "${id}") { id dueAt }`).join(' ')} }`,
    rows: (data) =>
      Object.values(data)
        .filter(Boolean)
        .map((i) => ({ id: (i as { id: string }).id, at: (i as { dueAt: string | null }).dueAt })),
  },
  {
    kind: 'item',
    query: () => '{ works(first: 100) { nodes { items { id dueAt } } } }',
    rows: (data) =>
      (data.works as { nodes: { items: { id: string; dueAt: string | null }[] }[] }).nodes.flatMap(
        (w) => w.items.map((i) => ({ id: i.id, at: i.dueAt })),
      ),
  },
  {
    kind: 'loan',
    query: () => '{ loans(first: 300) { nodes { id checkedOutAt dueAt returnedAt } } }',
    rows: (data) =>
      (
        (
          data.loans as {
            nodes: { id: string; checkedOutAt: string; dueAt: string; returnedAt: string | null }[];
          } | null
        )?.nodes ?? []
      ).flatMap((l) => [l.checkedOutAt, l.dueAt, l.returnedAt].map((at) => ({ id: l.id, at }))),
  },
  {
    kind: 'item',
    query: () => '{ loans(first: 300, status: OPEN) { nodes { item { id dueAt } } } }',
    rows: (data) =>
      (
        (data.loans as { nodes: { item: { id: string; dueAt: string | null } }[] } | null)?.nodes ??
        []
      ).map((l) => ({ id: l.item.id, at: l.item.dueAt })),
  },
  {
    kind: 'registration',
    query: () =>
      `{ events(from: "${new Date(Date.now() - 200 * 86_400_000).toISOString()}", first: 200) { registrations { id registeredAt } } }`,
    rows: (data) =>
      (data.events as { registrations: { id: string; registeredAt: string }[] }[]).flatMap((e) =>
        e.registrations.map((r) => ({ id: r.id, at: r.registeredAt })),
      ),
  },
  {
    kind: 'hold',
    query: () => '{ me { holds { id placedAt } } }',
    rows: (data) =>
      ((data.me as { holds: { id: string; placedAt: string }[] | null } | null)?.holds ?? []).map(
        (h) => ({ id: h.id, at: h.placedAt }),
      ),
  },
];

const midnight = (at: string) => at.endsWith('T00:00:00.000Z');

describe('timestamps of patron activity, persona by persona', () => {
  it.each(PERSONA_NAMES)(
    '%s sees a time of day only where it holds an exception for the patron',
    async (persona) => {
      const leaks: string[] = [];
      for (const { kind, query, rows } of QUERIES) {
        const res = await t.query(persona, query());
        for (const { id, at } of rows(res.data ?? {})) {
          if (at === null || midnight(at)) continue;
          if (!mayKnow(persona, kind, owner[kind].get(id))) leaks.push(`${kind} ${id}: ${at}`);
        }
      }
      expect(leaks).toEqual([]);
    },
  );

  it('the check can fail: staff with the duty do see times of day, and so does a patron of their own loans', async () => {
    const staff = await t.query('circulation-staff', QUERIES[2]!.query());
    expect(QUERIES[2]!.rows(staff.data!).some(({ at }) => at !== null && !midnight(at))).toBe(true);
    const anonymous = await t.query('anonymous', QUERIES[0]!.query());
    expect(
      QUERIES[0]!.rows(anonymous.data!).filter(({ at }) => at !== null).length,
    ).toBeGreaterThan(10);
    const own = await t.query('patron', '{ me { loans { dueAt } } }');
    expect(
      (own.data!.me as { loans: { dueAt: string }[] }).loans.some((l) => !midnight(l.dueAt)),
    ).toBe(true);
  });
});
