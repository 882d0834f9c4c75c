import { describe, expect, it } from 'vitest';
import { newId } from '../../ids';
import {
  expectCounts,
  expectDomainError,
  seedExchange,
  seedParticipants,
  sortedExclusions,
  type ContractContext,
} from './support';

export function exclusionContract(context: ContractContext): void {
  describe('exclusions', () => {
    it('replaces the whole set on every write', async () => {
      const exchange = await seedExchange(context.store);
      const [ann, bob, cy] = await seedParticipants(context.store, exchange.id, 3);
      const first = [
        { giverId: ann.id, receiverId: bob.id },
        { giverId: bob.id, receiverId: ann.id },
        { giverId: cy.id, receiverId: ann.id },
      ];
      const second = [{ giverId: ann.id, receiverId: cy.id }];

      expect(sortedExclusions(await context.store.replaceExclusions(exchange.id, first))).toEqual(sortedExclusions(first));
      expect(sortedExclusions(await context.store.listExclusions(exchange.id))).toEqual(sortedExclusions(first));
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 0, exclusionCount: 3 });

      expect(await context.store.replaceExclusions(exchange.id, second)).toEqual(second);
      expect(await context.store.listExclusions(exchange.id)).toEqual(second);
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 0, exclusionCount: 1 });

      expect(await context.store.replaceExclusions(exchange.id, [])).toEqual([]);
      expect(await context.store.listExclusions(exchange.id)).toEqual([]);
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 0, exclusionCount: 0 });
    });

    it('rejects ids that are not participants of this exchange with validation_failed, changing nothing', async () => {
      const exchange = await seedExchange(context.store);
      const other = await seedExchange(context.store);
      const [ann, bob] = await seedParticipants(context.store, exchange.id, 2);
      const [stranger] = await seedParticipants(context.store, other.id, 1);
      const kept = [{ giverId: ann.id, receiverId: bob.id }];
      await context.store.replaceExclusions(exchange.id, kept);

      const invalidSets = [
        [{ giverId: bob.id, receiverId: ann.id }, { giverId: ann.id, receiverId: newId() }],
        [{ giverId: newId(), receiverId: bob.id }],
        [{ giverId: stranger.id, receiverId: ann.id }],
        [{ giverId: bob.id, receiverId: stranger.id }],
      ];
      for (const exclusions of invalidSets) {
        await expectDomainError(context.store.replaceExclusions(exchange.id, exclusions), 'validation_failed');
      }

      expect(await context.store.listExclusions(exchange.id)).toEqual(kept);
      expect(await context.store.listExclusions(other.id)).toEqual([]);
      await expectCounts(context.store, exchange, { participantCount: 2, wishlistCount: 0, exclusionCount: 1 });
    });

    it('rejects an unknown exchange with not_found', async () => {
      await expectDomainError(context.store.replaceExclusions(newId(), []), 'not_found');
    });
  });
}
