/**
 * The hot reads and the bulk write on an exchange of 10,000 participants, and what a
 * single-row write costs under each durability setting.
 * Run: vitest bench --run --project store-sqlite
 */
import { afterAll, bench, describe } from 'vitest';
import { isoNow } from '@santa/domain';
import { drawInCircle, newExchangeRecord, newParticipantRecords } from '@santa/domain/testing';
import type { SqliteStore } from './sqlite-store';
import { TempDatabases } from './testing/temp-databases';

const PARTICIPANTS = 10_000;

async function seed(store: SqliteStore) {
  const exchange = await store.createExchange(newExchangeRecord());
  const participants = await store.addParticipants(
    exchange.id,
    newParticipantRecords(exchange.id, PARTICIPANTS, { wishlist: 'A book about trains' }),
  );
  await store.draw(exchange.id, isoNow(), drawInCircle);
  return { exchange, participants };
}

const normal = new TempDatabases({ synchronous: 'normal' });
const full = new TempDatabases({ synchronous: 'full' });
const store = await normal.open();
const storeWithFsync = await full.open();
const { exchange, participants } = await seed(store);
const other = await seed(storeWithFsync);

afterAll(async () => {
  await Promise.all([store.close(), storeWithFsync.close()]);
  await Promise.all([normal.cleanup(), full.cleanup()]);
});

let turn = 0;
function nextOf<T>(items: T[]): T {
  turn = (turn + 7919) % items.length;
  return items[turn];
}

describe(`reads on an exchange of ${PARTICIPANTS} participants`, () => {
  bench('getMeView (GET /me)', async () => {
    await store.getMeView(nextOf(participants).tokenHash);
  });

  bench('getExchangeByOrganizerTokenHash (the dashboard)', async () => {
    await store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash);
  });

  bench('listParticipants: a page of 100 from anywhere in the list', async () => {
    const after = nextOf(participants);
    await store.listParticipants(exchange.id, { limit: 100, after: { joinedAt: after.joinedAt, id: after.id } });
  });
});

describe('writes', () => {
  bench(
    'addParticipants: 1,000 in one call, into a new exchange',
    async () => {
      const fresh = await store.createExchange(newExchangeRecord());
      await store.addParticipants(fresh.id, newParticipantRecords(fresh.id, 1000));
    },
    { iterations: 20 },
  );

  bench('updateWishlist with synchronous=NORMAL (the default: fsync at checkpoints)', async () => {
    await store.updateWishlist(nextOf(participants).tokenHash, `Wish ${turn}`);
  });

  bench('updateWishlist with synchronous=FULL (fsync at every commit)', async () => {
    await storeWithFsync.updateWishlist(nextOf(other.participants).tokenHash, `Wish ${turn}`);
  });
});
