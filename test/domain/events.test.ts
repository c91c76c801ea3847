import { beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { openTestStore } from '../support/database.js';
import { eventsMigrations, type EventsTables } from '../../subgraphs/events/migrations.js';
import { EventsStore } from '../../subgraphs/events/store.js';
import { NotFound } from '../../src/errors/domain.js';

let db: Database<EventsTables>;
let store: EventsStore;
const now = new Date('2026-11-02T10:00:00Z');

beforeEach(async () => {
  db = await openTestStore<EventsTables>('events', eventsMigrations);
  store = new EventsStore(db.db, () => now);
  await db.db
    .insertInto('events')
    .values([
      {
        id: 'ev_small',
        title: 'Story time',
        description: 'd',
        branch_id: 'br_01',
        starts_at: '2026-11-10T10:00:00.000Z',
        ends_at: '2026-11-10T11:00:00.000Z',
        capacity: 2,
      },
      {
        id: 'ev_past',
        title: 'Past talk',
        description: 'd',
        branch_id: 'br_01',
        starts_at: '2026-10-10T10:00:00.000Z',
        ends_at: '2026-10-10T11:00:00.000Z',
        capacity: 20,
      },
    ])
    .execute();
});

describe('event registration', () => {
  it('enforces capacity', async () => {
    await store.register('ev_small', 'ann');
    await store.register('ev_small', 'bob');
    await expect(store.register('ev_small', 'cy')).rejects.toThrow('full (capacity 2)');
  });

  it('refuses a double registration', async () => {
    await store.register('ev_small', 'ann');
    await expect(store.register('ev_small', 'ann')).rejects.toThrow('already registered');
  });

  it('refuses an event that has started, and names an unknown one', async () => {
    await expect(store.register('ev_past', 'ann')).rejects.toThrow('already started');
    await expect(store.register('ev_nope', 'ann')).rejects.toBeInstanceOf(NotFound);
  });

  it('cancelling frees the seat; a patron cannot cancel another patron registration', async () => {
    const ann = await store.register('ev_small', 'ann');
    await store.register('ev_small', 'bob');
    await expect(store.cancel(ann.id, 'bob')).rejects.toThrow('No such registration');
    await store.cancel(ann.id, 'ann');
    await expect(store.register('ev_small', 'cy')).resolves.toMatchObject({ patron_id: 'cy' });
    expect((await store.registrationCounts(['ev_small']))[0]).toBe(2);
  });
});
