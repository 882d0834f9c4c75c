import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '@santa/services';
import { StoreUnavailableError, hashSecret } from '@santa/domain';
import { newExchangeRecord, newParticipantRecord, newParticipantRecords } from '@santa/domain/testing';
import { createPool, toStoreError } from './pool';
import { openPostgresStore, type PostgresStore } from './postgres-store';

let server: RunningPostgres;

beforeAll(async () => {
  server = await startPostgres();
});

afterAll(async () => {
  await server?.stop();
});

/** Settles with the error, so a test can look at what a failing call threw. */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('expected the call to fail, but it succeeded'),
    (error: unknown) => error,
  );
}

/** Calls `attempt` until it resolves, for at most `withinMs`. */
async function eventually<T>(attempt: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('a database outage', () => {
  let store: PostgresStore;
  const connectionErrors: Error[] = [];

  beforeAll(async () => {
    store = await openPostgresStore({
      connectionString: server.url,
      poolSize: 4,
      connectionTimeoutMs: 1_000,
      onConnectionError: (error) => connectionErrors.push(error),
    });
  });

  afterAll(async () => {
    await store?.close();
  });

  it('fails fast with StoreUnavailableError while the server is down, and recovers without a new store', async () => {
    const exchange = await store.createExchange(newExchangeRecord());
    const [ann] = await store.addParticipants(exchange.id, newParticipantRecords(exchange.id, 3));
    // Fill the pool with idle connections for the shutdown to cut.
    await Promise.all(Array.from({ length: 4 }, () => store.getMeView(ann.tokenHash)));

    await server.halt();
    try {
      // The pool reported the broken idle connections here instead of crashing the process.
      await eventually(async () => expect(connectionErrors.length).toBeGreaterThan(0), 5_000);
      const whileDown = [
        store.ping(),
        store.getExchange(exchange.id),
        store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash),
        store.getMeView(ann.tokenHash),
        store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)]),
        store.updateWishlist(ann.tokenHash, 'Socks'),
      ];
      for (const error of await Promise.all(whileDown.map(failureOf))) {
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect(error).toMatchObject({ code: 'service_unavailable', retryAfterSeconds: 1 });
      }
      await expect(openPostgresStore({ connectionString: server.url })).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      await server.start();
    }

    await eventually(() => store.ping(), 5_000);
    const late = newParticipantRecord(exchange.id);
    await store.addParticipants(exchange.id, [late]);
    expect((await store.getMeView(late.tokenHash))?.participant).toEqual(late);
    expect(await store.updateWishlist(ann.tokenHash, 'Socks')).toMatchObject({ wishlist: 'Socks' });
    expect((await store.getExchange(exchange.id))?.participantCount).toBe(4);
  });

  it('settles the calls in flight when the server stops with their result or StoreUnavailableError', async () => {
    const exchange = await store.createExchange(newExchangeRecord());
    const [ann] = await store.addParticipants(exchange.id, newParticipantRecords(exchange.id, 3));

    const inFlight = Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        index % 2 === 0
          ? store.getMeView(ann.tokenHash)
          : store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)]),
      ),
    );
    await server.restart();

    const outcomes = await inFlight;
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(StoreUnavailableError);
    }
    await eventually(() => store.ping(), 5_000);
    // Every join that was acknowledged is there (others may have committed before the answer was lost).
    const joined = outcomes.flatMap((outcome) =>
      outcome.status === 'fulfilled' && Array.isArray(outcome.value) ? outcome.value : [],
    );
    for (const participant of joined) {
      expect((await store.getMeView(participant.tokenHash))?.participant).toEqual(participant);
    }
  });
});

describe('the statement timeout', () => {
  it('is set on every connection of the pool, and a cancelled statement means unavailable', async () => {
    const pool = createPool({ connectionString: server.url, statementTimeoutMs: 100 });
    try {
      const error = await failureOf(pool.query('SELECT pg_sleep(5)'));

      expect(error).toMatchObject({ code: '57014' });
      const translated = toStoreError(error);
      expect(translated).toBeInstanceOf(StoreUnavailableError);
      expect((translated as StoreUnavailableError).cause).toBe(error);
      expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await pool.end();
    }
  });

  it('bounds how long a write waits for a lock, and then reports the store unavailable', async () => {
    const store = await openPostgresStore({ connectionString: server.url, statementTimeoutMs: 200 });
    const blocker = new pg.Client({ connectionString: server.url });
    await blocker.connect();
    try {
      const exchange = await store.createExchange(newExchangeRecord());
      await blocker.query('BEGIN');
      await blocker.query('SELECT 1 FROM exchanges WHERE id = $1 FOR UPDATE', [exchange.id]);

      const error = await failureOf(store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)]));

      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).detail).toMatch(/too long/);
      await blocker.query('ROLLBACK');
      const joiner = newParticipantRecord(exchange.id);
      await store.addParticipants(exchange.id, [joiner]);
      expect(await store.getMeView(hashSecret('no such token'))).toBeNull();
      expect((await store.getExchange(exchange.id))?.participantCount).toBe(1);
    } finally {
      await blocker.end();
      await store.close();
    }
  });
});
