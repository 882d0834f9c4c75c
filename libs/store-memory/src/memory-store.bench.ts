/**
 * The same hot reads and writes as the SQLite store's benchmark, on the store of the
 * "ceiling" reference server: what the HTTP layer costs when storage costs nearly nothing.
 * Run: vitest bench --run --project store-memory
 */
import { bench, describe } from 'vitest';
import { isoNow } from '@santa/domain';
import { drawInCircle, newExchangeRecord, newParticipantRecords } from '@santa/domain/testing';
import { createMemoryStore } from './memory-store';

const PARTICIPANTS = 10_000;

const store = createMemoryStore();
const exchange = await store.createExchange(newExchangeRecord());
const participants = await store.addParticipants(
  exchange.id,
  newParticipantRecords(exchange.id, PARTICIPANTS, { wishlist: 'A book about trains' }),
);
await store.draw(exchange.id, isoNow(), drawInCircle);

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

  bench('updateWishlist', async () => {
    await store.updateWishlist(nextOf(participants).tokenHash, `Wish ${turn}`);
  });
});
