import { describe, expect, it } from 'vitest';
import { toParticipant } from '../../model';
import { drawInCircle } from '../builders';
import {
  at,
  expectCounts,
  expectDomainError,
  listAll,
  seedExchange,
  seedParticipants,
  type ContractContext,
} from './support';

export function isolationContract(context: ContractContext): void {
  describe('isolation between exchanges', () => {
    it('shows nothing of one exchange through another', async () => {
      const first = await seedExchange(context.store);
      const second = await seedExchange(context.store);
      const emails = [{ email: 'ann@example.test', wishlist: 'Socks' }, { email: 'bob@example.test' }, { email: 'cy@example.test' }];
      const ours = await seedParticipants(context.store, first.id, emails);
      const theirs = await seedParticipants(context.store, second.id, emails.map(({ email }) => ({ email })));
      await context.store.replaceExclusions(first.id, [{ giverId: ours[0].id, receiverId: ours[1].id }]);
      await context.store.draw(first.id, at(60_000), drawInCircle);

      expect(await listAll(context.store, second.id)).toEqual(theirs.map(toParticipant));
      expect(await context.store.listExclusions(second.id)).toEqual([]);
      await expectCounts(context.store, second, { participantCount: 3, wishlistCount: 0, exclusionCount: 0 });
      expect(await context.store.getExchange(second.id)).toMatchObject({ status: 'open', drawnAt: null });
      for (const participant of theirs) {
        const view = await context.store.getMeView(participant.tokenHash);
        expect(view?.exchange.id).toBe(second.id);
        expect(view?.giftee).toBeNull();
      }
      for (const participant of ours) {
        expect((await context.store.getMeView(participant.tokenHash))?.exchange.id).toBe(first.id);
      }

      await expectDomainError(
        context.store.replaceExclusions(second.id, [{ giverId: theirs[0].id, receiverId: ours[1].id }]),
        'validation_failed',
      );
      await expectDomainError(context.store.removeParticipant(second.id, ours[2].id), 'not_found');
      await context.store.removeParticipant(second.id, theirs[2].id);

      expect(await listAll(context.store, first.id)).toEqual(ours.map(toParticipant));
      await expectCounts(context.store, first, { participantCount: 3, wishlistCount: 1, exclusionCount: 1 });
      await expectCounts(context.store, second, { participantCount: 2, wishlistCount: 0, exclusionCount: 0 });
    });
  });
}
