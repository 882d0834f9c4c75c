/**
 * The hot reads on an exchange of 10,000 participants, the bulk insert, the draw and
 * single-row writes, against a PostgreSQL server of its own on loopback.
 * Run: vitest bench --run --project store-postgres
 */
import { afterAll, bench, describe } from 'vitest';
import { startPostgres } from '@santa/services';
import { drawInCircle, newExchangeRecord, newParticipantRecord, newParticipantRecords } from '@santa/domain/testing';
import { isoNow } from '@santa/domain';
import { openPostgresStore } from './postgres-store';

const PARTICIPANTS = 10_000;

const server = await startPostgres();
const store = await openPostgresStore({ connectionString: server.url });

const exchange = await store.createExchange(newExchangeRecord());
const participants = await store.addParticipants(
  exchange.id,
  newParticipantRecords(exchange.id, PARTICIPANTS, { wishlist: 'A book about trains' }),
);
await store.draw(exchange.id, isoNow(), drawInCircle);

afterAll(async () => {
  await store.close();
  await server.stop();
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
    `addParticipants: ${PARTICIPANTS} in one call, into a new exchange`,
    async () => {
      const fresh = await store.createExchange(newExchangeRecord());
      await store.addParticipants(fresh.id, newParticipantRecords(fresh.id, PARTICIPANTS));
    },
    { iterations: 5, warmupIterations: 1 },
  );

  bench(
    `addParticipants of ${PARTICIPANTS} and the draw, into a new exchange`,
    async () => {
      const fresh = await store.createExchange(newExchangeRecord());
      await store.addParticipants(fresh.id, newParticipantRecords(fresh.id, PARTICIPANTS));
      await store.draw(fresh.id, isoNow(), drawInCircle);
    },
    { iterations: 5, warmupIterations: 1 },
  );

  bench('addParticipants: one joiner', async () => {
    const fresh = await store.createExchange(newExchangeRecord());
    await store.addParticipants(fresh.id, [newParticipantRecord(fresh.id)]);
  });

  bench('updateWishlist', async () => {
    await store.updateWishlist(nextOf(participants).tokenHash, `Wish ${turn}`);
  });
});
