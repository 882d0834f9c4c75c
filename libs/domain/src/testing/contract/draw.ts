import { describe, expect, it, vi } from 'vitest';
import { DomainError } from '../../errors';
import { newId } from '../../ids';
import { toParticipant } from '../../model';
import type { DrawFunction } from '../../port';
import type { Exclusion, ParticipantRecord } from '../../model';
import { drawInCircle, newParticipantRecord, newParticipantRecords } from '../builders';
import {
  at,
  expectCounts,
  expectDomainError,
  listAll,
  pickCounts,
  seedExchange,
  seedParticipants,
  sortedExclusions,
  type ContractContext,
} from './support';

export function drawContract(context: ContractContext): void {
  describe('the draw', () => {
    it('gives compute the participants in (joinedAt, id) order, the exclusions and the rules', async () => {
      const exchange = await seedExchange(context.store, { rules: { singleCycle: true } });
      const ids = Array.from({ length: 4 }, () => newId()).sort();
      const ann = newParticipantRecord(exchange.id, { id: ids[3], name: 'Ann', joinedAt: at(-5) });
      const bob = newParticipantRecord(exchange.id, { id: ids[1], name: 'Bob', joinedAt: at(0) });
      const cy = newParticipantRecord(exchange.id, { id: ids[2], name: 'Cy', joinedAt: at(0) });
      const dee = newParticipantRecord(exchange.id, { id: ids[0], name: 'Dee', joinedAt: at(7) });
      await context.store.addParticipants(exchange.id, [dee, cy, ann, bob]);
      const exclusions = [
        { giverId: ann.id, receiverId: bob.id },
        { giverId: dee.id, receiverId: cy.id },
      ];
      await context.store.replaceExclusions(exchange.id, exclusions);
      const compute = vi.fn<DrawFunction>(drawInCircle);

      await context.store.draw(exchange.id, at(60_000), compute);

      expect(compute).toHaveBeenCalledOnce();
      const input = compute.mock.calls[0][0];
      expect(input.participants.map(({ id, name }) => ({ id, name }))).toEqual(
        [ann, bob, cy, dee].map(({ id, name }) => ({ id, name })),
      );
      expect(sortedExclusions(input.exclusions)).toEqual(sortedExclusions(exclusions));
      expect(input.rules).toEqual({ singleCycle: true });
    });

    it('stores every assignment and marks the exchange drawn', async () => {
      const exchange = await seedExchange(context.store);
      const participants = await seedParticipants(context.store, exchange.id, [
        { name: 'Ann', wishlist: 'Socks' },
        { name: 'Bob' },
        { name: 'Cy', wishlist: 'Tea' },
        { name: 'Dee' },
      ]);
      const [ann, bob] = participants;
      await context.store.replaceExclusions(exchange.id, [{ giverId: ann.id, receiverId: bob.id }]);
      const drawnAt = at(60_000);
      const expected = {
        ...exchange,
        status: 'drawn',
        drawnAt,
        participantCount: 4,
        wishlistCount: 2,
        exclusionCount: 1,
      };

      expect(await context.store.draw(exchange.id, drawnAt, drawInCircle)).toEqual(expected);

      expect(await context.store.getExchange(exchange.id)).toEqual(expected);
      expect(await context.store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash)).toEqual(expected);
      for (const [index, giver] of participants.entries()) {
        const receiver = participants[(index + 1) % participants.length];
        expect(await context.store.getMeView(giver.tokenHash)).toEqual({
          participant: giver,
          exchange: expected,
          giftee: { id: receiver.id, name: receiver.name, wishlist: receiver.wishlist },
        });
      }
    });

    it('changes nothing when compute throws, and rethrows its error', async () => {
      const exchange = await seedExchange(context.store);
      const participants = await seedParticipants(context.store, exchange.id, 3);
      const infeasible = new DomainError('infeasible_draw', 'Nobody can give to anybody.');

      await expect(
        context.store.draw(exchange.id, at(60_000), () => {
          throw infeasible;
        }),
      ).rejects.toBe(infeasible);

      const unchanged = await context.store.getExchange(exchange.id);
      expect(unchanged).toMatchObject({ status: 'open', drawnAt: null });
      for (const participant of participants) {
        expect((await context.store.getMeView(participant.tokenHash))?.giftee).toBeNull();
      }
      await expect(context.store.draw(exchange.id, at(70_000), drawInCircle)).resolves.toMatchObject({
        status: 'drawn',
        drawnAt: at(70_000),
      });
    });

    it('draws once: a second draw is already_drawn and never computes', async () => {
      const exchange = await seedExchange(context.store);
      await seedParticipants(context.store, exchange.id, 3);
      await context.store.draw(exchange.id, at(60_000), drawInCircle);
      const compute = vi.fn<DrawFunction>(drawInCircle);

      await expectDomainError(context.store.draw(exchange.id, at(70_000), compute), 'already_drawn');

      expect(compute).not.toHaveBeenCalled();
      expect((await context.store.getExchange(exchange.id))?.drawnAt).toBe(at(60_000));
    });

    it('lets exactly one of two concurrent draws win; the other is already_drawn', async () => {
      const exchange = await seedExchange(context.store);
      const participants = await seedParticipants(context.store, exchange.id, 5);
      const reversed: DrawFunction = (input) => drawInCircle({ ...input, participants: [...input.participants].reverse() });

      const outcomes = await Promise.allSettled([
        context.store.draw(exchange.id, at(1_000), drawInCircle),
        context.store.draw(exchange.id, at(2_000), reversed),
      ]);

      const winners = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      const losers = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0]).toBeInstanceOf(DomainError);
      expect((losers[0] as DomainError).code).toBe('already_drawn');
      const stored = await context.store.getExchange(exchange.id);
      expect(stored).toEqual(winners[0]);
      const order = stored?.drawnAt === at(1_000) ? participants : [...participants].reverse();
      for (const [index, giver] of order.entries()) {
        const view = await context.store.getMeView(giver.tokenHash);
        expect(view?.giftee?.id).toBe(order[(index + 1) % order.length].id);
      }
    });

    it('excludes concurrent joins, removals and exclusion changes: it draws exactly what landed, the rest is already_drawn', async () => {
      const exchange = await seedExchange(context.store);
      const [ann, bob, cy, dee, ...leaving] = await seedParticipants(context.store, exchange.id, 8);
      await context.store.replaceExclusions(exchange.id, [{ giverId: bob.id, receiverId: ann.id }]);
      const joiners = newParticipantRecords(exchange.id, 6);
      const compute = vi.fn<DrawFunction>(drawInCircle);
      const writes = (newcomers: ParticipantRecord[], leaver: ParticipantRecord, exclusions: Exclusion[]) => [
        ...newcomers.map((newcomer) => context.store.addParticipants(exchange.id, [newcomer])),
        context.store.removeParticipant(exchange.id, leaver.id),
        context.store.replaceExclusions(exchange.id, exclusions),
      ];

      const early = writes(joiners.slice(0, 3), leaving[0], [{ giverId: ann.id, receiverId: bob.id }]);
      const drawing = context.store.draw(exchange.id, at(60_000), compute);
      const late = writes(joiners.slice(3), leaving[1], [{ giverId: cy.id, receiverId: dee.id }]);
      const outcomes = await Promise.allSettled([...early, ...late]);
      const drawn = await drawing;

      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toBeInstanceOf(DomainError);
          expect((outcome.reason as DomainError).code).toBe('already_drawn');
        }
      }
      const listed = (await listAll(context.store, exchange.id)).map(({ id }) => id);
      const input = compute.mock.lastCall?.[0];
      expect(input?.participants.map(({ id }) => id)).toEqual(listed);
      expect(sortedExclusions(input?.exclusions ?? [])).toEqual(
        sortedExclusions(await context.store.listExclusions(exchange.id)),
      );
      expect(drawn.participantCount).toBe(listed.length);
      const everybody = [ann, bob, cy, dee, ...leaving, ...joiners];
      const views = await Promise.all(everybody.map(({ tokenHash }) => context.store.getMeView(tokenHash)));
      const present = views.filter((view) => view !== null);
      expect(present.map((view) => view.participant.id).sort()).toEqual([...listed].sort());
      expect(present.every((view) => view.giftee !== null)).toBe(true);
    });

    it('rejects an unknown exchange with not_found and never computes', async () => {
      const compute = vi.fn<DrawFunction>(drawInCircle);

      await expectDomainError(context.store.draw(newId(), at(0), compute), 'not_found');

      expect(compute).not.toHaveBeenCalled();
    });

    it('closes a drawn exchange to joins, removals and exclusion changes, but not to wishlists', async () => {
      const exchange = await seedExchange(context.store);
      const participants = await seedParticipants(context.store, exchange.id, [{ wishlist: 'Socks' }, {}, {}]);
      const [ann, bob, cy] = participants;
      await context.store.replaceExclusions(exchange.id, [{ giverId: ann.id, receiverId: cy.id }]);
      const drawn = await context.store.draw(exchange.id, at(60_000), drawInCircle);

      await expectDomainError(
        context.store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)]),
        'already_drawn',
      );
      await expectDomainError(context.store.removeParticipant(exchange.id, bob.id), 'already_drawn');
      await expectDomainError(
        context.store.replaceExclusions(exchange.id, [{ giverId: bob.id, receiverId: ann.id }]),
        'already_drawn',
      );
      expect(await listAll(context.store, exchange.id)).toEqual(participants.map(toParticipant));
      expect(await context.store.listExclusions(exchange.id)).toEqual([{ giverId: ann.id, receiverId: cy.id }]);
      await expectCounts(context.store, exchange, pickCounts(drawn));

      expect(await context.store.updateWishlist(bob.tokenHash, 'A good book')).toEqual({ ...bob, wishlist: 'A good book' });
      expect((await context.store.getMeView(ann.tokenHash))?.giftee).toEqual({
        id: bob.id,
        name: bob.name,
        wishlist: 'A good book',
      });
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 2, exclusionCount: 1 });
    });
  });
}
