import { describe, expect, it } from 'vitest';
import { toParticipant, type ExchangeRecord, type ParticipantRecord } from '../../model';
import type { ExchangeStore } from '../../port';
import { drawInCircle, newExchangeRecord, newIdempotencyIntent, newParticipantRecord, newParticipantRecords } from '../builders';
import {
  at,
  codePoints,
  expectCounts,
  expectDomainError,
  listAll,
  seedExchange,
  seedParticipants,
  sortedExclusions,
  type ContractContext,
} from './support';

const BEGINNING_OF_TIME = new Date(0).toISOString();

export function lifecycleContract(context: ContractContext): void {
  describe('lifecycle', () => {
    it('answers ping', async () => {
      await expect(context.store.ping()).resolves.toBeUndefined();
    });

    it('lets writes in flight finish when it closes', async () => {
      const exchange = await seedExchange(context.store);
      const writes = [
        context.store.addParticipants(exchange.id, newParticipantRecords(exchange.id, 3)),
        context.store.createExchange(newExchangeRecord()),
      ];

      await context.closeStore();

      await expect(Promise.all(writes)).resolves.toHaveLength(2);
    });

    it('shares no object with its callers', async () => {
      const exchangeInput = newExchangeRecord({ budget: { amount: 10, currency: 'GBP' } });
      const participantInput = newParticipantRecord(exchangeInput.id, { wishlist: 'Socks' });
      const created = await context.store.createExchange(exchangeInput);
      const [added] = await context.store.addParticipants(exchangeInput.id, [participantInput]);
      const [other] = await seedParticipants(context.store, exchangeInput.id, 1);
      const exclusionInput = [{ giverId: added.id, receiverId: other.id }];
      const replaced = await context.store.replaceExclusions(exchangeInput.id, exclusionInput);
      const readBack = async () => ({
        byId: await context.store.getExchange(exchangeInput.id),
        byToken: await context.store.getExchangeByOrganizerTokenHash(exchangeInput.organizerTokenHash),
        me: await context.store.getMeView(added.tokenHash),
        participants: await context.store.listParticipants(exchangeInput.id, { limit: 10 }),
        exclusions: await context.store.listExclusions(exchangeInput.id),
      });
      const expected = structuredClone(await readBack());
      expect(expected.byToken?.budget).toEqual({ amount: 10, currency: 'GBP' });
      expect(expected.me?.participant.wishlist).toBe('Socks');
      expect(expected.exclusions).toHaveLength(1);
      const reads = await readBack();

      for (const exchange of [exchangeInput, created, reads.byId, reads.byToken, reads.me?.exchange]) {
        if (!exchange) continue;
        exchange.name = 'Changed';
        exchange.rules.singleCycle = true;
        if (exchange.budget) exchange.budget.amount = 1;
      }
      for (const participant of [participantInput, added, reads.me?.participant, ...reads.participants]) {
        if (!participant) continue;
        participant.name = 'Changed';
        participant.wishlist = 'Changed';
      }
      for (const exclusion of [...exclusionInput, ...replaced, ...reads.exclusions]) {
        exclusion.giverId = exclusion.receiverId;
      }

      expect(await readBack()).toEqual(expected);
    });
  });

  const reopenStore = context.reopenStore;
  if (!reopenStore) return;

  describe('durability across a close and reopen', () => {
    it('keeps everything written', async () => {
      const drawnIntent = newIdempotencyIntent<ExchangeRecord>({ createdAt: at(0), status: 200 });
      const drawn = await seedExchange(context.store, { budget: null, exchangeDate: null, rules: { singleCycle: true } });
      const drawnParticipants = await seedParticipants(context.store, drawn.id, [
        { name: 'Zoë 🎅', wishlist: codePoints('Line one, "two"\r\n=three ', 300) },
        { name: 'Łukasz' },
        { name: '山田' },
        {},
      ]);
      await context.store.replaceExclusions(drawn.id, [
        { giverId: drawnParticipants[0].id, receiverId: drawnParticipants[2].id },
      ]);
      await context.store.draw(drawn.id, at(60_000), drawInCircle, drawnIntent);
      await context.store.updateWishlist(drawnParticipants[1].tokenHash, 'After the draw');

      const open = await seedExchange(context.store);
      const joinIntent = newIdempotencyIntent<ParticipantRecord[]>({ createdAt: at(1) });
      const openParticipants = [
        ...(await seedParticipants(context.store, open.id, [{ wishlist: 'Tea' }, {}, {}])),
        ...(await context.store.addParticipants(open.id, newParticipantRecords(open.id, 2), joinIntent)),
      ];
      await context.store.replaceExclusions(open.id, [
        { giverId: openParticipants[0].id, receiverId: openParticipants[1].id },
        { giverId: openParticipants[3].id, receiverId: openParticipants[4].id },
      ]);
      await context.store.removeParticipant(open.id, openParticipants[1].id);
      await context.store.updateWishlist(openParticipants[2].tokenHash, 'Gloves');

      const exchangeIds = [drawn.id, open.id];
      const tokenHashes = [...drawnParticipants, ...openParticipants].map(({ tokenHash }) => tokenHash);
      const keyHashes = [drawnIntent.keyHash, joinIntent.keyHash];
      const before = await snapshot(context.store, exchangeIds, tokenHashes, keyHashes);

      const reopened = await reopenStore();

      expect(await snapshot(reopened, exchangeIds, tokenHashes, keyHashes)).toEqual(before);
      expect(before.meViews.filter((view) => view?.giftee)).toHaveLength(4);
      expect(before.meViews.filter((view) => view === null)).toHaveLength(1);

      await expectDomainError(reopened.draw(drawn.id, at(70_000), drawInCircle), 'already_drawn');
      const [late] = await reopened.addParticipants(open.id, [newParticipantRecord(open.id)]);
      expect((await listAll(reopened, open.id)).at(-1)).toEqual(toParticipant(late));
      await expectCounts(reopened, open, { participantCount: 5, wishlistCount: 2, exclusionCount: 1 });
    });

    it('keeps the writes that were in flight when it closed', async () => {
      const exchange = await seedExchange(context.store);
      const joiners = newParticipantRecords(exchange.id, 5);
      const writes = joiners.map((joiner) => context.store.addParticipants(exchange.id, [joiner]));

      const reopened = await reopenStore();

      await Promise.all(writes);
      expect(await listAll(reopened, exchange.id)).toEqual(joiners.map(toParticipant));
      await expectCounts(reopened, exchange, { participantCount: 5, wishlistCount: 0, exclusionCount: 0 });
    });
  });
}

/** Everything readable about some exchanges, participants and idempotency keys. */
async function snapshot(store: ExchangeStore, exchangeIds: string[], tokenHashes: string[], keyHashes: string[]) {
  return {
    exchanges: await Promise.all(
      exchangeIds.map(async (id) => {
        const exchange = await store.getExchange(id);
        return {
          exchange,
          byToken: exchange && (await store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash)),
          participants: await listAll(store, id, 2),
          exclusions: sortedExclusions(await store.listExclusions(id)),
        };
      }),
    ),
    meViews: await Promise.all(tokenHashes.map((tokenHash) => store.getMeView(tokenHash))),
    idempotencyRecords: await Promise.all(
      keyHashes.map((keyHash) => store.getIdempotencyRecord(keyHash, BEGINNING_OF_TIME)),
    ),
  };
}
