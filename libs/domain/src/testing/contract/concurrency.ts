import { describe, expect, it } from 'vitest';
import { toParticipant } from '../../model';
import { newParticipantRecords } from '../builders';
import {
  expectCounts,
  joinOrder,
  listAll,
  seedExchange,
  seedParticipants,
  SLOW_TEST_TIMEOUT_MS,
  type ContractContext,
} from './support';

const WRITERS = 200;

export function concurrencyContract(context: ContractContext): void {
  describe('concurrent writers', () => {
    it(`lands all of ${WRITERS} concurrent single joins with exact counts`, async () => {
      const exchange = await seedExchange(context.store);
      const joiners = newParticipantRecords(exchange.id, WRITERS, { wishlist: 'Anything' });

      await Promise.all(joiners.map((joiner) => context.store.addParticipants(exchange.id, [joiner])));

      expect(await listAll(context.store, exchange.id, 64)).toEqual(joiners.sort(joinOrder).map(toParticipant));
      await expectCounts(context.store, exchange, { participantCount: WRITERS, wishlistCount: WRITERS, exclusionCount: 0 });
    }, SLOW_TEST_TIMEOUT_MS);

    it(`keeps every one of ${WRITERS} concurrent wishlist updates`, async () => {
      const exchange = await seedExchange(context.store);
      const participants = await seedParticipants(context.store, exchange.id, WRITERS);
      const wishlistOf = (index: number) => (index % 4 === 0 ? '' : `Wish number ${index}`);

      await Promise.all(
        participants.map((participant, index) => context.store.updateWishlist(participant.tokenHash, wishlistOf(index))),
      );

      const listed = await listAll(context.store, exchange.id);
      expect(listed.map(({ wishlist }) => wishlist)).toEqual(participants.map((_, index) => wishlistOf(index)));
      await expectCounts(context.store, exchange, {
        participantCount: WRITERS,
        wishlistCount: WRITERS - WRITERS / 4,
        exclusionCount: 0,
      });
    }, SLOW_TEST_TIMEOUT_MS);
  });
}
