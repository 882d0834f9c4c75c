import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../secrets';
import { drawInCircle } from '../builders';
import { at, expectCounts, seedExchange, seedParticipants, type ContractContext } from './support';

export function meContract(context: ContractContext): void {
  describe('the participant’s own view', () => {
    it('shows the participant and their exchange with exact counts, and no giftee before the draw', async () => {
      const exchange = await seedExchange(context.store);
      const [ann, bob] = await seedParticipants(context.store, exchange.id, [{ wishlist: 'Socks' }, {}]);
      await context.store.replaceExclusions(exchange.id, [{ giverId: ann.id, receiverId: bob.id }]);

      expect(await context.store.getMeView(bob.tokenHash)).toEqual({
        participant: bob,
        exchange: { ...exchange, participantCount: 2, wishlistCount: 1, exclusionCount: 1 },
        giftee: null,
      });
    });

    it('answers null for an unknown token', async () => {
      const exchange = await seedExchange(context.store);
      await seedParticipants(context.store, exchange.id, 1);

      expect(await context.store.getMeView(hashSecret('no such token'))).toBeNull();
      expect(await context.store.getMeView(exchange.organizerTokenHash)).toBeNull();
    });

    it('updates a wishlist, keeps wishlistCount exact both ways, and shows it to the giver', async () => {
      const exchange = await seedExchange(context.store);
      const [ann, bob, cy] = await seedParticipants(context.store, exchange.id, [{}, { wishlist: 'Tea' }, {}]);
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 1, exclusionCount: 0 });

      expect(await context.store.updateWishlist(ann.tokenHash, 'Socks')).toEqual({ ...ann, wishlist: 'Socks' });
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 2, exclusionCount: 0 });
      expect(await context.store.updateWishlist(ann.tokenHash, 'Warm socks')).toEqual({ ...ann, wishlist: 'Warm socks' });
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 2, exclusionCount: 0 });
      expect(await context.store.updateWishlist(bob.tokenHash, '')).toEqual({ ...bob, wishlist: '' });
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 1, exclusionCount: 0 });
      expect(await context.store.updateWishlist(cy.tokenHash, '')).toEqual(cy);
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 1, exclusionCount: 0 });

      await context.store.draw(exchange.id, at(60_000), drawInCircle);
      await context.store.updateWishlist(bob.tokenHash, 'Chocolate 🍫');

      const annView = await context.store.getMeView(ann.tokenHash);
      expect(annView?.giftee).toEqual({ id: bob.id, name: bob.name, wishlist: 'Chocolate 🍫' });
      expect(annView?.participant).toEqual({ ...ann, wishlist: 'Warm socks' });
      expect((await context.store.getMeView(bob.tokenHash))?.exchange.wishlistCount).toBe(2);
    });

    it('updates nothing for an unknown token', async () => {
      const exchange = await seedExchange(context.store);
      await seedParticipants(context.store, exchange.id, 1);

      expect(await context.store.updateWishlist(hashSecret('no such token'), 'Socks')).toBeNull();
      await expectCounts(context.store, exchange, { participantCount: 1, wishlistCount: 0, exclusionCount: 0 });
    });
  });
}
