import { describe, expect, it } from 'vitest';
import { LIMITS, toParticipant, type Participant } from '../../model';
import { newId } from '../../ids';
import { newParticipantRecord, newParticipantRecords } from '../builders';
import {
  at,
  codePoints,
  expectCounts,
  expectDomainError,
  joinOrder,
  listAll,
  seedExchange,
  seedParticipants,
  SLOW_TEST_TIMEOUT_MS,
  type ContractContext,
} from './support';

export function participantContract(context: ContractContext): void {
  describe('adding participants', () => {
    it('adds a batch in the given order and returns the participants as stored', async () => {
      const exchange = await seedExchange(context.store);
      const batch = [
        newParticipantRecord(exchange.id, { name: 'Ann', wishlist: 'Socks' }),
        newParticipantRecord(exchange.id, { name: 'Bob' }),
        newParticipantRecord(exchange.id, { name: 'Cy', wishlist: 'Tea' }),
      ];

      expect(await context.store.addParticipants(exchange.id, batch)).toEqual(batch);
      expect(await listAll(context.store, exchange.id)).toEqual(batch.map(toParticipant));
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 2, exclusionCount: 0 });
    });

    it('round-trips Unicode and text at the limits', async () => {
      const exchange = await seedExchange(context.store);
      const local = 'a'.repeat(64);
      const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(LIMITS.email - 64 - 1 - 63 - 1 - 63 - 1 - 5)}.test`;
      const participant = newParticipantRecord(exchange.id, {
        name: codePoints('Zoë 👩‍👩‍👧 Łukasz 山田 ', LIMITS.participantName),
        email: `${local}@${domain}`,
        wishlist: codePoints('Line one, "quoted"\r\nline two\ttabbed; =SUM(A1) +1 -1 @x 🎄\n', LIMITS.wishlist),
      });
      expect(participant.email).toHaveLength(LIMITS.email);

      await context.store.addParticipants(exchange.id, [participant]);

      expect(await listAll(context.store, exchange.id)).toEqual([toParticipant(participant)]);
      expect((await context.store.getMeView(participant.tokenHash))?.participant).toEqual(participant);
    });

    it('rejects a batch that repeats an e-mail address, in any case, and writes nothing', async () => {
      const exchange = await seedExchange(context.store);
      const [existing] = await seedParticipants(context.store, exchange.id, [{ email: 'zed@example.test' }]);
      const batch = [
        newParticipantRecord(exchange.id, { wishlist: 'Books' }),
        newParticipantRecord(exchange.id, { email: 'Ann@Example.test' }),
        newParticipantRecord(exchange.id, { email: 'ann@example.TEST' }),
      ];

      const error = await expectDomainError(context.store.addParticipants(exchange.id, batch), 'duplicate_email');

      expect(error.detail.toLowerCase()).toContain('ann@example.test');
      expect(await listAll(context.store, exchange.id)).toEqual([toParticipant(existing)]);
      expect(await context.store.getMeView(batch[0].tokenHash)).toBeNull();
      await expectCounts(context.store, exchange, { participantCount: 1, wishlistCount: 0, exclusionCount: 0 });
    });

    it('rejects a batch that repeats an existing participant’s e-mail address, in any case, and writes nothing', async () => {
      const exchange = await seedExchange(context.store);
      const [existing] = await seedParticipants(context.store, exchange.id, [{ email: 'Ann@Example.test' }]);
      const batch = [
        newParticipantRecord(exchange.id, { wishlist: 'Books' }),
        newParticipantRecord(exchange.id, { email: 'aNN@example.test' }),
      ];

      const error = await expectDomainError(context.store.addParticipants(exchange.id, batch), 'duplicate_email');

      expect(error.detail.toLowerCase()).toContain('ann@example.test');
      expect(await listAll(context.store, exchange.id)).toEqual([toParticipant(existing)]);
      expect(await context.store.getMeView(batch[0].tokenHash)).toBeNull();
      await expectCounts(context.store, exchange, { participantCount: 1, wishlistCount: 0, exclusionCount: 0 });
    });

    it('frees an e-mail address when its participant is removed', async () => {
      const exchange = await seedExchange(context.store);
      const [ann] = await seedParticipants(context.store, exchange.id, [{ email: 'ann@example.test' }]);
      await context.store.removeParticipant(exchange.id, ann.id);

      const [again] = await seedParticipants(context.store, exchange.id, [{ email: 'ANN@example.test' }]);

      expect(await listAll(context.store, exchange.id)).toEqual([toParticipant(again)]);
    });

    it('rejects an unknown exchange with not_found', async () => {
      const exchangeId = newId();

      await expectDomainError(
        context.store.addParticipants(exchangeId, [newParticipantRecord(exchangeId)]),
        'not_found',
      );
      expect(await context.store.getExchange(exchangeId)).toBeNull();
    });

    it(
      `holds at most ${LIMITS.participantsPerExchange} participants, all of a batch or none`,
      async () => {
        const exchange = await seedExchange(context.store);
        const limit = LIMITS.participantsPerExchange;
        await context.store.addParticipants(exchange.id, newParticipantRecords(exchange.id, limit - 1));

        const overflowing = newParticipantRecords(exchange.id, 2);
        await expectDomainError(context.store.addParticipants(exchange.id, overflowing), 'participant_limit');
        const [last] = await context.store.addParticipants(exchange.id, newParticipantRecords(exchange.id, 1));
        await expectDomainError(
          context.store.addParticipants(exchange.id, newParticipantRecords(exchange.id, 1)),
          'participant_limit',
        );

        expect((await context.store.getMeView(last.tokenHash))?.exchange.participantCount).toBe(limit);
        expect(await context.store.getMeView(overflowing[0].tokenHash)).toBeNull();
      },
      SLOW_TEST_TIMEOUT_MS,
    );
  });

  describe('listing participants', () => {
    it('lists in (joinedAt, id) order whatever the order of adding', async () => {
      const exchange = await seedExchange(context.store);
      const offsets = [5, 1, 9, 3, 7, 0, 8, 2, 6, 4];
      const participants = offsets.map((offset) => newParticipantRecord(exchange.id, { joinedAt: at(offset * 1000) }));
      await context.store.addParticipants(exchange.id, participants.slice(0, 4));
      await context.store.addParticipants(exchange.id, participants.slice(4, 7));
      await context.store.addParticipants(exchange.id, participants.slice(7));

      expect(await listAll(context.store, exchange.id)).toEqual(participants.sort(joinOrder).map(toParticipant));
    });

    it('breaks ties on joinedAt by id', async () => {
      const exchange = await seedExchange(context.store);
      const ids = Array.from({ length: 6 }, () => newId()).sort();
      const sameInstant = at(0);
      const participants = [...ids].reverse().map((id) => newParticipantRecord(exchange.id, { id, joinedAt: sameInstant }));
      const earlier = newParticipantRecord(exchange.id, { joinedAt: at(-1) });
      await context.store.addParticipants(exchange.id, participants.slice(0, 3));
      await context.store.addParticipants(exchange.id, [...participants.slice(3), earlier]);

      const listed = await listAll(context.store, exchange.id);

      expect(listed.map(({ id }) => id)).toEqual([earlier.id, ...ids]);
    });

    it('pages with the `after` cursor without duplicates or gaps', async () => {
      const exchange = await seedExchange(context.store);
      const participants = newParticipantRecords(exchange.id, 23).map((participant, index) => ({
        ...participant,
        joinedAt: at(Math.floor(index / 4)),
      }));
      await context.store.addParticipants(exchange.id, [...participants].reverse());
      const expected = participants.sort(joinOrder).map(toParticipant);

      const pages: Participant[][] = [];
      for (;;) {
        const previous = pages.at(-1)?.at(-1);
        const page = await context.store.listParticipants(exchange.id, {
          limit: 5,
          ...(previous && { after: { joinedAt: previous.joinedAt, id: previous.id } }),
        });
        if (page.length === 0) break;
        pages.push(page);
      }

      expect(pages.map((page) => page.length)).toEqual([5, 5, 5, 5, 3]);
      expect(pages.flat()).toEqual(expected);
    });

    it('respects the limit', async () => {
      const exchange = await seedExchange(context.store);
      const participants = await seedParticipants(context.store, exchange.id, 4);

      expect(await context.store.listParticipants(exchange.id, { limit: 1 })).toEqual([toParticipant(participants[0])]);
      expect(await context.store.listParticipants(exchange.id, { limit: 3 })).toHaveLength(3);
      expect(await context.store.listParticipants(exchange.id, { limit: 500 })).toHaveLength(4);
    });

    it('keeps a cursor valid after its participant is removed', async () => {
      const exchange = await seedExchange(context.store);
      const participants = await seedParticipants(context.store, exchange.id, 6);
      const firstPage = await context.store.listParticipants(exchange.id, { limit: 3 });
      const cursor = firstPage[2];

      await context.store.removeParticipant(exchange.id, cursor.id);
      const secondPage = await context.store.listParticipants(exchange.id, {
        limit: 3,
        after: { joinedAt: cursor.joinedAt, id: cursor.id },
      });

      expect(secondPage).toEqual(participants.slice(3).map(toParticipant));
    });

    it('lists nothing for an unknown exchange', async () => {
      const exchange = await seedExchange(context.store);
      await seedParticipants(context.store, exchange.id, 2);

      expect(await context.store.listParticipants(newId(), { limit: 10 })).toEqual([]);
    });
  });

  describe('removing participants', () => {
    it('removes the participant, their exclusions and their token, and updates the counts', async () => {
      const exchange = await seedExchange(context.store);
      const [ann, bob, cy, dee] = await seedParticipants(context.store, exchange.id, [
        { wishlist: 'Socks' },
        { wishlist: 'Tea' },
        {},
        {},
      ]);
      await context.store.replaceExclusions(exchange.id, [
        { giverId: ann.id, receiverId: bob.id },
        { giverId: cy.id, receiverId: ann.id },
        { giverId: cy.id, receiverId: dee.id },
      ]);

      await context.store.removeParticipant(exchange.id, ann.id);

      expect(await listAll(context.store, exchange.id)).toEqual([bob, cy, dee].map(toParticipant));
      expect(await context.store.listExclusions(exchange.id)).toEqual([{ giverId: cy.id, receiverId: dee.id }]);
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 1, exclusionCount: 1 });
      expect(await context.store.getMeView(ann.tokenHash)).toBeNull();
      expect(await context.store.updateWishlist(ann.tokenHash, 'Gloves')).toBeNull();
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 1, exclusionCount: 1 });
    });

    it('rejects an unknown participant, or one of another exchange, with not_found', async () => {
      const exchange = await seedExchange(context.store);
      const other = await seedExchange(context.store);
      await seedParticipants(context.store, exchange.id, 1);
      const [stranger] = await seedParticipants(context.store, other.id, 1);

      await expectDomainError(context.store.removeParticipant(exchange.id, newId()), 'not_found');
      await expectDomainError(context.store.removeParticipant(exchange.id, stranger.id), 'not_found');

      expect(await listAll(context.store, other.id)).toEqual([toParticipant(stranger)]);
      await expectCounts(context.store, exchange, { participantCount: 1, wishlistCount: 0, exclusionCount: 0 });
      await expectCounts(context.store, other, { participantCount: 1, wishlistCount: 0, exclusionCount: 0 });
    });

    it('rejects an unknown exchange with not_found', async () => {
      const exchange = await seedExchange(context.store);
      const [ann] = await seedParticipants(context.store, exchange.id, 1);

      await expectDomainError(context.store.removeParticipant(newId(), ann.id), 'not_found');
      expect(await listAll(context.store, exchange.id)).toEqual([toParticipant(ann)]);
    });
  });
}
