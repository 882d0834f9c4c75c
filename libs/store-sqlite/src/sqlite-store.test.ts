import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError, TABLES, hashSecret, isoNow, newParticipantToken, type ExchangeStore } from '@santa/domain';
import {
  drawInCircle,
  newExchangeRecord,
  newIdempotencyIntent,
  newParticipantRecord,
  newParticipantRecords,
  runBulkContract,
  runStoreContract,
} from '@santa/domain/testing';
import { bulkReadSql } from './bulk-rows';
import { SQL } from './sql';
import { SchemaTooNewError } from './migrate';
import { openSqliteStore } from './sqlite-store';
import { TempDatabases } from './testing/temp-databases';

runStoreContract('sqlite', new TempDatabases());
runBulkContract('sqlite', new TempDatabases());

const databases = new TempDatabases();
afterAll(() => databases.cleanup());

/** A second, plain connection to a store's file, to look at what the store wrote. */
function inspect<T>(path: string, look: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return look(db);
  } finally {
    db.close();
  }
}

async function seedDrawable(store: ExchangeStore, size: number) {
  const exchange = await store.createExchange(newExchangeRecord());
  const participants = await store.addParticipants(exchange.id, newParticipantRecords(exchange.id, size, { wishlist: 'Tea' }));
  return { exchange, participants };
}

describe('the SQLite database file', () => {
  it('is in WAL mode, passes integrity and foreign key checks after writes, and its counts match its rows', async () => {
    const store = await databases.open();
    const { exchange, participants } = await seedDrawable(store, 40);
    const [ann, bob, cy] = participants;
    await store.replaceExclusions(exchange.id, [
      { giverId: ann.id, receiverId: bob.id },
      { giverId: cy.id, receiverId: ann.id },
      { giverId: bob.id, receiverId: cy.id },
    ]);
    await store.removeParticipant(exchange.id, ann.id);
    await store.updateWishlist(bob.tokenHash, '');
    await store.draw(exchange.id, isoNow(), drawInCircle);
    await store.close();

    inspect(databases.path, (db) => {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const stored = db
        .prepare(
          `SELECT participant_count, wishlist_count, exclusion_count,
                  (SELECT count(*) FROM participants p WHERE p.exchange_id = e.id) AS participants,
                  (SELECT count(*) FROM participants p WHERE p.exchange_id = e.id AND p.wishlist <> '') AS wishlists,
                  (SELECT count(*) FROM exclusions x WHERE x.exchange_id = e.id) AS exclusions,
                  (SELECT count(*) FROM assignments a WHERE a.exchange_id = e.id) AS assignments
           FROM exchanges e WHERE id = ?`,
        )
        .get(exchange.id);
      expect(stored).toEqual({
        participant_count: 39,
        participants: 39,
        wishlist_count: 38,
        wishlists: 38,
        exclusion_count: 1,
        exclusions: 1,
        assignments: 39,
      });
    });
  });

  it('keeps everything across a close and a reopen', async () => {
    const store = await databases.open();
    const { exchange, participants } = await seedDrawable(store, 5);
    await store.draw(exchange.id, isoNow(), drawInCircle);
    const before = await store.getMeView(participants[2].tokenHash);
    await store.close();

    const reopened = await databases.reopen();
    expect(await reopened.getMeView(participants[2].tokenHash)).toEqual(before);
    expect(before?.giftee?.id).toBe(participants[3].id);
    await reopened.close();
  });

  it('treats e-mail addresses that differ only in non-ASCII case as the same', async () => {
    // SQLite's own lower() folds ASCII only; the store keys e-mails with the domain's normalizeEmail.
    const store = await databases.open();
    const exchange = await store.createExchange(newExchangeRecord());
    await store.addParticipants(exchange.id, [newParticipantRecord(exchange.id, { email: 'ÅSA@ÖREBRO.example' })]);

    const adding = store.addParticipants(exchange.id, [newParticipantRecord(exchange.id, { email: 'åsa@örebro.example' })]);

    await expect(adding).rejects.toMatchObject({ code: 'duplicate_email' });
    await store.close();
  });

  it('removes every row of an exchange that is deleted, drawn or not', async () => {
    const store = await databases.open();
    const drawn = await seedDrawable(store, 4);
    await store.replaceExclusions(drawn.exchange.id, [{ giverId: drawn.participants[0].id, receiverId: drawn.participants[1].id }]);
    await store.draw(drawn.exchange.id, isoNow(), drawInCircle);
    const kept = await seedDrawable(store, 3);
    await store.close();

    const db = new Database(databases.path);
    db.pragma('foreign_keys = ON');
    db.prepare('DELETE FROM exchanges WHERE id = ?').run(drawn.exchange.id);
    const remaining = ['participants', 'exclusions', 'assignments'].map(
      (table) => db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number },
    );
    db.close();

    expect(remaining.map(({ n }) => n)).toEqual([3, 0, 0]);
    const reopened = await databases.reopen();
    expect((await reopened.getExchange(kept.exchange.id))?.participantCount).toBe(3);
    await reopened.close();
  });

  it('refuses to delete a participant who is part of a draw', async () => {
    const store = await databases.open();
    const { exchange, participants } = await seedDrawable(store, 3);
    await store.draw(exchange.id, isoNow(), drawInCircle);
    await store.close();

    const db = new Database(databases.path);
    db.pragma('foreign_keys = ON');
    expect(() => db.prepare('DELETE FROM participants WHERE id = ?').run(participants[0].id)).toThrow(/FOREIGN KEY/);
    db.close();
  });
});

describe('when the database cannot serve', () => {
  it('fails a write that waits too long for the write lock with StoreUnavailableError, changing nothing', async () => {
    const store = await databases.open();
    const exchange = await store.createExchange(newExchangeRecord());
    await store.close();
    const waiting = openSqliteStore({ path: databases.path, busyTimeoutMs: 20 });
    const holder = new Database(databases.path);
    holder.exec('BEGIN IMMEDIATE');

    const adding = waiting.addParticipants(exchange.id, newParticipantRecords(exchange.id, 3));

    await expect(adding).rejects.toBeInstanceOf(StoreUnavailableError);
    holder.exec('ROLLBACK');
    holder.close();
    expect((await waiting.getExchange(exchange.id))?.participantCount).toBe(0);
    await waiting.close();
  });

  it('answers every call after close() with StoreUnavailableError', async () => {
    const store = await databases.open();
    const exchange = await store.createExchange(newExchangeRecord());
    await store.close();
    await store.close();

    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.getExchange(exchange.id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.addParticipants(exchange.id, [])).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('query plans', () => {
  let path = '';

  beforeAll(async () => {
    // Enough rows for the planner to have real choices; close() refreshes its statistics.
    const store = await databases.open();
    path = databases.path;
    for (let exchanges = 0; exchanges < 3; exchanges += 1) {
      const { exchange, participants } = await seedDrawable(store, 300);
      await store.replaceExclusions(
        exchange.id,
        participants.slice(0, 30).map((giver, index) => ({ giverId: giver.id, receiverId: participants[index + 1].id })),
      );
      await store.draw(exchange.id, isoNow(), drawInCircle, newIdempotencyIntent());
    }
    await store.close();
  });

  /** Every statement that looks rows up, with arguments of the right shape. */
  const lookups: [name: keyof typeof SQL, args: unknown[]][] = [
    ['exchangeByOrganizerToken', ['hash']],
    ['exchangeById', ['id']],
    ['exchangeState', ['id']],
    ['meView', ['hash']],
    ['adjustCounts', [{ id: 'id', participants: 1, wishlists: 0, exclusions: 0 }]],
    ['setExclusionCount', [0, 'id']],
    ['markDrawn', ['2026-11-01T00:00:00.000Z', 'id']],
    ['participantsFirstPage', ['id', 100]],
    ['participantsAfter', ['id', '2026-11-01T00:00:00.000Z', 'id', 100]],
    ['participantInExchange', ['id', 'id']],
    ['participantByToken', ['hash']],
    ['emailTaken', ['id', 'key']],
    ['drawParticipants', ['id']],
    ['exclusionsByExchange', ['id']],
    ['deleteExclusionsOfParticipant', [{ id: 'id' }]],
    ['deleteParticipant', ['id']],
    ['updateWishlist', ['Tea', 'id']],
    ['deleteExclusionsOfExchange', ['id']],
    ['idempotencyRecord', ['hash', '2026-11-01T00:00:00.000Z']],
    ['idempotencyCreatedAt', ['hash']],
    ['purgeIdempotencyRecords', ['2026-11-01T00:00:00.000Z']],
    ['participantTokenOfLink', ['hash']],
    ['reminderRecipients', [{ exchange_id: 'id', window_start: '2026-11-01T00:00:00.000Z' }]],
    ['dueOutboxMessages', [{ now: '2026-11-01T00:00:00.000Z', limit: 10 }]],
    ['leaseOutboxMessage', ['2026-11-01T00:00:00.000Z', 'id']],
    ['completeOutboxMessage', ['2026-11-01T00:00:00.000Z', 'id']],
    ['failOutboxMessage', [{ id: 'id', error: 'e', retry_at: null }]],
    ['deleteParticipantLink', ['hash', 'id']],
  ];

  it.each(lookups)('%s searches an index, never scanning a table or sorting', (name, args) => {
    const plan = inspect(path, (db) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${SQL[name]}`).all(...args) as { detail: string }[]).map(({ detail }) => detail),
    );

    expect(plan.some((step) => step.startsWith('SEARCH'))).toBe(true);
    expect(plan.filter((step) => step.startsWith('SCAN') || step.includes('TEMP B-TREE'))).toEqual([]);
  });
  it.each(TABLES.flatMap((table) => (['first', 'after', 'last'] as const).map((query) => [table, query] as const)))(
    'reads %s in key order (%s page) through an index, sorting at most one exchange at a time',
    (table, query) => {
      const sql = bulkReadSql(table)[query];
      const plan = inspect(path, (db) =>
        (
          db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from(sql.matchAll(/\?/g), () => 'x')) as { detail: string }[]
        ).map(({ detail }) => detail),
      );

      expect(plan.filter((step) => step.startsWith('SCAN') && !step.includes('USING'))).toEqual([]);
      expect(plan.filter((step) => step.includes('TEMP B-TREE FOR ORDER BY'))).toEqual([]);
    },
  );

});

describe('the outbox on one database file', () => {
  it('never hands one message to claims on two connections at once', async () => {
    const first = await databases.open();
    const second = await databases.reopen();
    try {
      const { exchange } = await seedDrawable(first, 30);
      const drawnAt = isoNow();
      await first.draw(exchange.id, drawnAt, drawInCircle);

      const claims = await Promise.all(
        [first, second, first, second, first, second].map((store) =>
          store.claimOutboxMessages({
            now: drawnAt,
            leaseUntil: new Date(Date.parse(drawnAt) + 60_000).toISOString(),
            linkTokenHashes: Array.from({ length: 8 }, () => hashSecret(newParticipantToken())),
          }),
        ),
      );

      const ids = claims.flat().map((delivery) => delivery.message.id);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });
});

describe('a database opened read-only', () => {
  it('is read as it is, refuses every write, and is left byte for byte unchanged', async () => {
    const writer = await databases.open();
    const { exchange, participants } = await seedDrawable(writer, 5);
    await writer.close();
    const before = readFileSync(databases.path);

    const reader = openSqliteStore({ path: databases.path, readOnly: true });
    try {
      expect(await reader.dataVersion()).toBe('sqlite/2');
      expect(await reader.countRows('participants')).toBe(5);
      expect((await reader.getMeView(participants[0].tokenHash))?.exchange.participantCount).toBe(5);
      await expect(reader.writeRows('participants', newParticipantRecords(exchange.id, 1))).rejects.toThrow(/readonly/i);
      await expect(reader.createExchange(newExchangeRecord())).rejects.toThrow(/readonly/i);
    } finally {
      await reader.close();
    }
    expect(readFileSync(databases.path).equals(before)).toBe(true);
  });

  it('refuses a file that does not exist, without creating it, and one of a newer schema', async () => {
    const missing = databases.newPath();
    expect(() => openSqliteStore({ path: missing, readOnly: true })).toThrow(`${missing} does not exist.`);
    expect(existsSync(missing)).toBe(false);

    const newer = databases.newPath();
    await openSqliteStore({ path: newer }).close();
    const db = new Database(newer);
    db.pragma('user_version = 7');
    db.close();
    expect(() => openSqliteStore({ path: newer, readOnly: true })).toThrow(SchemaTooNewError);
  });
});
