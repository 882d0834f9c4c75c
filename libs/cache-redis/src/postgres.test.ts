import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isoNow, type ExchangeStore } from '@santa/domain';
import { drawInCircle, newExchangeRecord, newParticipantRecords, runStoreContract } from '@santa/domain/testing';
import { postgresBinDir, runCommand, startPostgres, startRedis, type RunningPostgres, type RunningRedis } from '@santa/services';
import { migratePostgres, openPostgresStore } from '@santa/store-postgres';
import { openCachedStore } from './test-support';

/** Stage 04 as it is composed: the cache in front of the PostgreSQL store. */

let postgres: RunningPostgres;
let redis: RunningRedis;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
  await migratePostgres(postgres.url);
});
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()]);
});

function emptyDatabase(): void {
  runCommand(join(postgresBinDir(), 'psql'), [
    postgres.url,
    '-qc',
    'DELETE FROM participant_links; DELETE FROM outbox_messages; DELETE FROM assignments; DELETE FROM exclusions; ' +
      'DELETE FROM participants; DELETE FROM exchanges; DELETE FROM idempotency_records',
  ]);
}

/** One app process: its own pool and its own Redis connection. */
async function appProcess(keyPrefix: string): Promise<ExchangeStore> {
  const database = await openPostgresStore({ connectionString: postgres.url, poolSize: 3 });
  return (await openCachedStore(database, { redis: redis.url, keyPrefix })).store;
}

let prefixes = 0;
const currentPrefix = () => `postgres:${process.pid}:${prefixes}:`;

runStoreContract('redis-cache over postgres', {
  async open() {
    emptyDatabase();
    prefixes += 1;
    return appProcess(currentPrefix());
  },
  // The same database and the same cache, as after a restart of the app.
  reopen: () => appProcess(currentPrefix()),
  cleanup: async () => emptyDatabase(),
});

describe('two app processes over one PostgreSQL and one Redis', () => {
  it('a giver reading through either process always sees the wishlist saved through the other', async () => {
    emptyDatabase();
    const prefix = `two-processes:${process.pid}:`;
    const processes = await Promise.all([appProcess(prefix), appProcess(prefix)]);
    const [first] = processes;
    try {
      const exchange = await first.createExchange(newExchangeRecord());
      const [ann, bob] = await first.addParticipants(exchange.id, newParticipantRecords(exchange.id, 3));
      await first.draw(exchange.id, isoNow(), drawInCircle);
      const giftee = async (store: ExchangeStore) => (await store.getMeView(ann.tokenHash))?.giftee?.wishlist;

      for (let round = 1; round <= 60; round += 1) {
        const wish = `Wish ${round}`;
        const before = round === 1 ? '' : `Wish ${round - 1}`;
        const inFlight = processes.flatMap((store) => [giftee(store), giftee(store)]);
        await processes[round % 2]?.updateWishlist(bob.tokenHash, wish);

        expect(await Promise.all([...processes.map(giftee), ...processes.map(giftee)])).toEqual([wish, wish, wish, wish]);
        for (const seen of await Promise.all(inFlight)) expect([before, wish]).toContain(seen);
      }
    } finally {
      await Promise.all(processes.map((store) => store.close()));
    }
  });
});
