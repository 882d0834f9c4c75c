import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '@santa/services';
import { drawInCircle, newExchangeRecord, newParticipantRecords, runStoreContract } from '@santa/domain/testing';
import { DomainError, hashSecret, newParticipantToken, type DrawFunction, type ExchangeStore } from '@santa/domain';
import { migratePostgres } from './migrate';
import { openPostgresStore } from './postgres-store';
import { SQL } from './sql';

let server: RunningPostgres;

beforeAll(async () => {
  server = await startPostgres();
  await migratePostgres(server.url);
});

afterAll(async () => {
  await server?.stop();
});

/**
 * Empties every table: each contract test starts from an empty store on the one
 * migrated database. DELETE, not TRUNCATE: on tables this small it is many times faster.
 */
async function emptyDatabase(): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(
      ['participant_links', 'outbox_messages', 'assignments', 'exclusions', 'participants', 'exchanges', 'idempotency_records']
        .map((table) => `DELETE FROM ${table};`)
        .join(' '),
    );
  } finally {
    await client.end();
  }
}

runStoreContract('postgres', {
  async open() {
    await emptyDatabase();
    return openPostgresStore({ connectionString: server.url, poolSize: 5 });
  },
  reopen: () => openPostgresStore({ connectionString: server.url, poolSize: 5 }),
  cleanup: emptyDatabase,
});

describe('PostgreSQL store', () => {
  it('lets one of two draws from separate pools win; the other is already_drawn', async () => {
    await emptyDatabase();
    const [first, second] = await Promise.all([
      openPostgresStore({ connectionString: server.url, poolSize: 2 }),
      openPostgresStore({ connectionString: server.url, poolSize: 2 }),
    ]);
    try {
      const exchange = await first.createExchange(newExchangeRecord());
      await first.addParticipants(exchange.id, newParticipantRecords(exchange.id, 50));

      const outcomes = await Promise.allSettled(
        [first, second, first, second].map((store, index) =>
          store.draw(exchange.id, new Date(Date.UTC(2026, 11, 1, 0, 0, index)).toISOString(), drawInCircle),
        ),
      );

      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const losers = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
      expect(winners).toHaveLength(1);
      expect(losers.map((reason) => (reason instanceof DomainError ? reason.code : reason))).toEqual([
        'already_drawn',
        'already_drawn',
        'already_drawn',
      ]);
      expect(await countRows('assignments')).toBe(50);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('never hands one outbox message to claims from two pools at once', async () => {
    await emptyDatabase();
    const [first, second] = await Promise.all([
      openPostgresStore({ connectionString: server.url, poolSize: 3 }),
      openPostgresStore({ connectionString: server.url, poolSize: 3 }),
    ]);
    try {
      const exchange = await first.createExchange(newExchangeRecord());
      await first.addParticipants(exchange.id, newParticipantRecords(exchange.id, 30));
      const drawnAt = new Date(Date.UTC(2026, 11, 1)).toISOString();
      await first.draw(exchange.id, drawnAt, drawInCircle);

      const claims = await Promise.all(
        [first, second, first, second, first, second].map((store) =>
          store.claimOutboxMessages({
            now: drawnAt,
            leaseUntil: new Date(Date.UTC(2026, 11, 1, 0, 1)).toISOString(),
            linkTokenHashes: Array.from({ length: 8 }, () => hashSecret(newParticipantToken())),
          }),
        ),
      );

      const ids = claims.flat().map((delivery) => delivery.message.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(30);
      expect(await countRows('participant_links')).toBe(30);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('stores no draw that assigns somebody from another exchange', async () => {
    await emptyDatabase();
    const store = await openPostgresStore({ connectionString: server.url, poolSize: 2 });
    try {
      const exchange = await store.createExchange(newExchangeRecord());
      const other = await store.createExchange(newExchangeRecord());
      await store.addParticipants(exchange.id, newParticipantRecords(exchange.id, 3));
      const [stranger] = await store.addParticipants(other.id, newParticipantRecords(other.id, 1));
      const crossing: DrawFunction = (input) => [
        ...drawInCircle(input).slice(1),
        { giverId: input.participants[0].id, receiverId: stranger.id },
      ];

      await expect(store.draw(exchange.id, new Date().toISOString(), crossing)).rejects.toThrow(/not a participant/);

      expect(await store.getExchange(exchange.id)).toMatchObject({ status: 'open', drawnAt: null });
      expect(await countRows('assignments')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('keeps the counts in the exchange row equal to count(*) through concurrent writes of every kind', async () => {
    await emptyDatabase();
    const store = await openPostgresStore({ connectionString: server.url, poolSize: 6 });
    try {
      const exchange = await store.createExchange(newExchangeRecord());
      const participants = await store.addParticipants(
        exchange.id,
        newParticipantRecords(exchange.id, 30).map((participant, index) => ({
          ...participant,
          wishlist: index % 3 === 0 ? '' : `Wish ${index}`,
        })),
      );
      const removed = participants.slice(0, 5);
      const kept = participants.slice(5);

      const outcomes = await Promise.allSettled([
        ...newParticipantRecords(exchange.id, 20).map((joiner, index) =>
          store.addParticipants(exchange.id, [{ ...joiner, wishlist: index % 2 === 0 ? 'Tea' : '' }]),
        ),
        ...kept.slice(0, 15).map((participant, index) =>
          store.updateWishlist(participant.tokenHash, index % 2 === 0 ? '' : 'Changed'),
        ),
        ...removed.map((participant) => store.removeParticipant(exchange.id, participant.id)),
        store.replaceExclusions(exchange.id, [
          { giverId: kept[0].id, receiverId: kept[1].id },
          { giverId: removed[0].id, receiverId: kept[2].id },
        ]),
        store.replaceExclusions(exchange.id, [
          { giverId: kept[3].id, receiverId: removed[1].id },
          { giverId: kept[4].id, receiverId: kept[5].id },
          { giverId: kept[5].id, receiverId: kept[4].id },
        ]),
      ]);

      for (const outcome of outcomes) {
        // An exclusion set naming somebody removed a moment earlier is refused; nothing else fails.
        if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'validation_failed' });
      }
      const stored = await store.getExchange(exchange.id);
      const counted = await queryOne<{ participants: number; wishlists: number; exclusions: number }>(
        `SELECT (SELECT count(*) FROM participants WHERE exchange_id = $1)::int AS participants,
                (SELECT count(*) FROM participants WHERE exchange_id = $1 AND wishlist <> '')::int AS wishlists,
                (SELECT count(*) FROM exclusions WHERE exchange_id = $1)::int AS exclusions`,
        [exchange.id],
      );
      expect(stored).toMatchObject({
        participantCount: counted.participants,
        wishlistCount: counted.wishlists,
        exclusionCount: counted.exclusions,
      });
      expect(counted.participants).toBe(45);
    } finally {
      await store.close();
    }
  });

  it('adds 10,000 participants in one call, in one statement', async () => {
    await emptyDatabase();
    const store = await openPostgresStore({ connectionString: server.url });
    try {
      const exchange = await store.createExchange(newExchangeRecord());
      const participants = newParticipantRecords(exchange.id, 10_000, { wishlist: 'Anything' });

      const added = await store.addParticipants(exchange.id, participants);

      expect(added).toEqual(participants);
      expect(await store.getExchange(exchange.id)).toMatchObject({ participantCount: 10_000, wishlistCount: 10_000 });
      expect(await countRows('participants')).toBe(10_000);
    } finally {
      await store.close();
    }
  });

  describe('plans of the hot reads', () => {
    let store: ExchangeStore;
    let client: pg.Client;

    beforeAll(async () => {
      await emptyDatabase();
      store = await openPostgresStore({ connectionString: server.url });
      // Enough rows that a sequential scan would cost more than an index: real ones, and filler exchanges.
      for (let index = 0; index < 20; index += 1) {
        const exchange = await store.createExchange(newExchangeRecord());
        await store.addParticipants(exchange.id, newParticipantRecords(exchange.id, 250));
        if (index % 2 === 0) await store.draw(exchange.id, new Date().toISOString(), drawInCircle);
      }
      // Link tokens, as the mail worker mints them for what it sends.
      await store.claimOutboxMessages({
        now: new Date().toISOString(),
        leaseUntil: new Date(Date.now() + 60_000).toISOString(),
        linkTokenHashes: Array.from({ length: 1_000 }, () => hashSecret(newParticipantToken())),
      });
      client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query(
        `INSERT INTO exchanges (id, name, single_cycle, status, created_at, organizer_token_hash, invite_code_hash)
         SELECT gen_random_uuid(), 'Filler', false, 'open', now(), md5(n::text) || md5((-n)::text), md5(n::text)
           FROM generate_series(1, 5000) AS n`,
      );
      await client.query('ANALYZE');
    });

    afterAll(async () => {
      await client?.end();
      await store?.close();
    });

    async function plan(text: string, values: unknown[]): Promise<string> {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${text}`, values);
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    }

    it('reads GET /me through indexes only', async () => {
      const text = await plan(SQL.meView.text, ['0'.repeat(64)]);

      expect(text).not.toMatch(/Seq Scan/);
      expect(text).toMatch(/participants_token_hash/);
      expect(text).toMatch(/exchanges_pkey/);
      expect(text).toMatch(/assignments_pkey/);
      expect(text).toMatch(/participants_pkey/);
    });

    it('reads GET /me through a link token, and claims due messages, through indexes only', async () => {
      const byLink = await plan(SQL.meViewByLink.text, ['0'.repeat(64)]);
      expect(byLink).not.toMatch(/Seq Scan/);
      expect(byLink).toMatch(/participant_links_pkey/);

      const claim = await plan(SQL.dueOutboxMessages.text, [new Date().toISOString(), 10]);
      expect(claim).not.toMatch(/Seq Scan on outbox_messages|Sort/);
      expect(claim).toMatch(/outbox_messages_due/);
    });

    it('reads the dashboard through the organizer token index', async () => {
      const text = await plan(SQL.exchangeByOrganizerToken.text, ['0'.repeat(64)]);

      expect(text).not.toMatch(/Seq Scan/);
      expect(text).toMatch(/exchanges_organizer_token_hash/);
    });

    it('pages participants by seeking in the join-order index, without sorting', async () => {
      const exchangeId = (await client.query<{ id: string }>('SELECT id FROM exchanges LIMIT 1')).rows[0].id;
      const text = await plan(SQL.participantsAfter.text, [exchangeId, new Date().toISOString(), exchangeId, 100]);

      expect(text).not.toMatch(/Seq Scan|Sort/);
      expect(text).toMatch(/Index Scan using participants_join_order/);
      expect(text).toMatch(/Index Cond: .*ROW\(joined_at, id\) > ROW\(/);
    });
  });
});

async function queryOne<Row extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<Row> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const { rows } = await client.query<Row>(text, values);
    return rows[0] as Row;
  } finally {
    await client.end();
  }
}

async function countRows(table: string): Promise<number> {
  return (await queryOne<{ count: number }>(`SELECT count(*)::int AS count FROM ${table}`)).count;
}
