import { describe, expect, it } from 'vitest';
import { DomainError } from '../../errors';
import { newId } from '../../ids';
import type { ParticipantRecord } from '../../model';
import { OUTBOX, outboxRetryAt, type OutboxDelivery } from '../../outbox';
import type { ExchangeStore } from '../../port';
import { hashSecret, newParticipantToken } from '../../secrets';
import { drawInCircle, newIdempotencyIntent } from '../builders';
import { at, expectDomainError, seedExchange, seedParticipants, type ContractContext } from './support';

const DRAWN_AT = at(60_000);
const LEASE_MS = 30_000;

/** Fresh link tokens and their hashes, one per message wanted. */
function linkTokens(count: number): { tokens: string[]; hashes: string[] } {
  const tokens = Array.from({ length: count }, () => newParticipantToken());
  return { tokens, hashes: tokens.map(hashSecret) };
}

async function claimAt(store: ExchangeStore, offsetMs: number, count = 100): Promise<OutboxDelivery[]> {
  return store.claimOutboxMessages({
    now: at(offsetMs),
    leaseUntil: at(offsetMs + LEASE_MS),
    linkTokenHashes: linkTokens(count).hashes,
  });
}

async function drawnExchange(store: ExchangeStore, specs: Partial<ParticipantRecord>[] = [{}, {}, {}]) {
  const exchange = await seedExchange(store, { name: 'Office 🎁', exchangeDate: '2026-12-18', budget: { amount: 20, currency: 'EUR' } });
  const participants = await seedParticipants(store, exchange.id, specs);
  await store.draw(exchange.id, DRAWN_AT, drawInCircle);
  return { exchange, participants };
}

export function outboxContract(context: ContractContext): void {
  describe('the e-mail outbox', () => {
    // Every test gets a store of its own, so a claim sees only the messages the test queued.
    it('queues one drawn message per participant with the draw, and a claim delivers them with what the e-mail says', async () => {
      const { exchange, participants } = await drawnExchange(context.store);
      expect(await context.store.countOutboxMessages()).toEqual({ pending: 3, failed: 0 });

      expect(await claimAt(context.store, 59_999)).toEqual([]);
      const { hashes } = linkTokens(5);
      const claimed = await context.store.claimOutboxMessages({
        now: DRAWN_AT,
        leaseUntil: at(60_000 + LEASE_MS),
        linkTokenHashes: hashes,
      });

      expect(claimed).toHaveLength(3);
      expect(new Set(claimed.map((delivery) => delivery.participant.id))).toEqual(new Set(participants.map((p) => p.id)));
      expect(new Set(claimed.map((delivery) => delivery.linkTokenHash)).size).toBe(3);
      for (const delivery of claimed) {
        const participant = participants.find((p) => p.id === delivery.participant.id);
        expect(hashes).toContain(delivery.linkTokenHash);
        expect(delivery.participant).toEqual({ id: participant?.id, name: participant?.name, email: participant?.email });
        expect(delivery.exchange).toEqual({
          id: exchange.id,
          name: 'Office 🎁',
          exchangeDate: '2026-12-18',
          budget: { amount: 20, currency: 'EUR' },
        });
        expect(delivery.message).toMatchObject({
          exchangeId: exchange.id,
          participantId: participant?.id,
          kind: 'drawn',
          status: 'pending',
          createdAt: DRAWN_AT,
          attempts: 1,
          claimedUntil: at(60_000 + LEASE_MS),
          lastError: null,
          sentAt: null,
        });
      }
    });

    it('queues nothing when the draw stores nothing', async () => {
      const exchange = await seedExchange(context.store);
      await seedParticipants(context.store, exchange.id, 3);

      await expectDomainError(
        context.store.draw(exchange.id, DRAWN_AT, () => {
          throw new DomainError('infeasible_draw');
        }),
        'infeasible_draw',
      );

      expect(await context.store.countOutboxMessages()).toEqual({ pending: 0, failed: 0 });
      expect(await claimAt(context.store, 120_000)).toEqual([]);
    });

    it('claims at most one message per link hash given, and never a leased one until the lease runs out', async () => {
      await drawnExchange(context.store, [{}, {}, {}, {}]);

      const first = await claimAt(context.store, 61_000, 3);
      const second = await claimAt(context.store, 62_000);
      expect(first).toHaveLength(3);
      expect(second).toHaveLength(1);
      expect(await claimAt(context.store, 61_000 + LEASE_MS - 1)).toEqual([]);

      // The worker that held the first three died: their leases run out and they are due again.
      const reclaimed = await claimAt(context.store, 61_000 + LEASE_MS);
      expect(reclaimed.map((delivery) => delivery.message.id).sort()).toEqual(first.map((d) => d.message.id).sort());
      expect(reclaimed.every((delivery) => delivery.message.attempts === 2)).toBe(true);
    });

    it('never hands one message to two concurrent claims', async () => {
      await drawnExchange(context.store, Array.from({ length: 12 }, () => ({})));

      const claims = await Promise.all(Array.from({ length: 4 }, () => claimAt(context.store, 61_000, 5)));

      const ids = claims.flat().map((delivery) => delivery.message.id);
      expect(ids).toHaveLength(12);
      expect(new Set(ids).size).toBe(12);
    });

    it('lets a link token open the participant’s view and wishlist, as their own token does', async () => {
      const { participants } = await drawnExchange(context.store, [{ wishlist: 'Tea' }, {}, {}]);
      const [ann, bob] = participants;
      const claimed = await claimAt(context.store, 61_000);
      const annLinkHash = claimed.find((delivery) => delivery.participant.id === ann.id)?.linkTokenHash ?? '';

      expect(await context.store.getMeView(annLinkHash)).toEqual(await context.store.getMeView(ann.tokenHash));
      expect((await context.store.getMeView(annLinkHash))?.giftee?.id).toBe(bob.id);

      expect(await context.store.updateWishlist(annLinkHash, 'Socks')).toEqual({ ...ann, wishlist: 'Socks' });
      expect((await context.store.getMeView(ann.tokenHash))?.participant.wishlist).toBe('Socks');
      await context.store.updateWishlist(ann.tokenHash, 'Warm socks');
      expect((await context.store.getMeView(annLinkHash))?.participant.wishlist).toBe('Warm socks');
      expect((await context.store.getMeView(annLinkHash))?.exchange.wishlistCount).toBe(1);
    });

    it('marks a completed message sent, so no claim returns it again', async () => {
      await drawnExchange(context.store);
      const claimed = await claimAt(context.store, 61_000);

      for (const delivery of claimed) await context.store.completeOutboxMessage(delivery.message.id, at(62_000));

      expect(await context.store.countOutboxMessages()).toEqual({ pending: 0, failed: 0 });
      expect(await claimAt(context.store, 61_000 + 10 * LEASE_MS)).toEqual([]);
      // The links of sent messages keep working.
      for (const delivery of claimed) expect(await context.store.getMeView(delivery.linkTokenHash)).not.toBeNull();
    });

    it('records a failure: the attempt’s link is removed, the message is due again at retryAt, or failed for good', async () => {
      await drawnExchange(context.store);
      const [retried, abandoned, sent] = await claimAt(context.store, 61_000);

      await context.store.failOutboxMessage(retried.message.id, {
        linkTokenHash: retried.linkTokenHash,
        error: 'connection refused',
        retryAt: at(70_000),
      });
      await context.store.failOutboxMessage(abandoned.message.id, {
        linkTokenHash: abandoned.linkTokenHash,
        error: '550 mailbox unavailable',
        retryAt: null,
      });
      await context.store.completeOutboxMessage(sent.message.id, at(61_500));
      // A late report about a message no longer pending changes nothing.
      await context.store.failOutboxMessage(sent.message.id, { linkTokenHash: sent.linkTokenHash, error: 'late', retryAt: null });

      expect(await context.store.getMeView(retried.linkTokenHash)).toBeNull();
      expect(await context.store.getMeView(abandoned.linkTokenHash)).toBeNull();
      expect(await context.store.getMeView(sent.linkTokenHash)).not.toBeNull();
      expect(await context.store.countOutboxMessages()).toEqual({ pending: 1, failed: 1 });
      expect(await claimAt(context.store, 69_999)).toEqual([]);
      const [again] = await claimAt(context.store, 70_000);
      expect(again.message).toMatchObject({ id: retried.message.id, attempts: 2, lastError: 'connection refused' });
    });

    it('queues reminders for empty wishlists only, and nobody twice within the reminder window', async () => {
      const exchange = await seedExchange(context.store);
      const [, bob, cy] = await seedParticipants(context.store, exchange.id, [{ wishlist: 'Tea' }, {}, {}]);

      expect(await context.store.queueReminders(exchange.id, at(1_000))).toBe(2);
      expect(await context.store.queueReminders(exchange.id, at(2_000))).toBe(0);
      const claimed = await claimAt(context.store, 3_000);
      expect(claimed.map((delivery) => delivery.participant.id).sort()).toEqual([bob.id, cy.id].sort());
      expect(claimed.every((delivery) => delivery.message.kind === 'reminder')).toBe(true);

      await context.store.updateWishlist(bob.tokenHash, 'Books');
      expect(await context.store.queueReminders(exchange.id, at(1_000 + OUTBOX.reminderIntervalMs - 1))).toBe(0);
      expect(await context.store.queueReminders(exchange.id, at(1_000 + OUTBOX.reminderIntervalMs))).toBe(1);

      await context.store.draw(exchange.id, DRAWN_AT, drawInCircle);
      expect(await context.store.queueReminders(exchange.id, at(10 * OUTBOX.reminderIntervalMs))).toBe(1);
    });

    it('refuses reminders for an unknown exchange, and records the response of an idempotent request', async () => {
      await expectDomainError(context.store.queueReminders(newId(), at(1_000)), 'not_found');
      await expectDomainError(context.store.queueReminders('not-an-id', at(1_000)), 'not_found');

      const exchange = await seedExchange(context.store);
      await seedParticipants(context.store, exchange.id, 2);
      const intent = newIdempotencyIntent<number>({ status: 202, createdAt: at(1_000) });

      expect(await context.store.queueReminders(exchange.id, at(1_000), intent)).toBe(2);
      expect(intent.results).toEqual([2]);
      expect(await context.store.getIdempotencyRecord(intent.keyHash, at(0))).toMatchObject({ status: 202, sealedBody: '2' });
      await expectDomainError(context.store.queueReminders(exchange.id, at(1_500), intent), 'idempotency_key_in_use');
      expect(await context.store.countOutboxMessages()).toEqual({ pending: 2, failed: 0 });
    });

    it('drops the messages and links of a removed participant', async () => {
      const exchange = await seedExchange(context.store);
      const [ann, bob] = await seedParticipants(context.store, exchange.id, 3);
      await context.store.queueReminders(exchange.id, at(1_000));
      const sent = await claimAt(context.store, 1_000);
      const annLink = sent.find((delivery) => delivery.participant.id === ann.id)?.linkTokenHash ?? '';
      const bobLink = sent.find((delivery) => delivery.participant.id === bob.id)?.linkTokenHash ?? '';
      await context.store.queueReminders(exchange.id, at(1_000 + OUTBOX.reminderIntervalMs));

      await context.store.removeParticipant(exchange.id, ann.id);

      expect(await context.store.getMeView(annLink)).toBeNull();
      expect(await context.store.updateWishlist(annLink, 'Tea')).toBeNull();
      expect((await context.store.getMeView(bobLink))?.participant.id).toBe(bob.id);
      expect(await context.store.countOutboxMessages()).toEqual({ pending: 4, failed: 0 });
      const claimed = await claimAt(context.store, 1_000 + 2 * OUTBOX.reminderIntervalMs);
      expect(claimed).toHaveLength(4);
      expect(claimed.map((delivery) => delivery.participant.id)).not.toContain(ann.id);
    });

    it('retries a failing message on the backoff schedule, and fails it for good after the last attempt', async () => {
      await drawnExchange(context.store, [{}, {}]);
      const [sent, failing] = await claimAt(context.store, 60_000);
      await context.store.completeOutboxMessage(sent.message.id, DRAWN_AT);
      const offsetOf = (instant: string) => Date.parse(instant) - Date.parse(at(0));

      let delivery: OutboxDelivery | undefined = failing;
      let now = DRAWN_AT;
      for (;;) {
        const { attempts } = delivery.message;
        const retryAt = outboxRetryAt(attempts, now, () => 0);
        const failure = { linkTokenHash: delivery.linkTokenHash, error: `attempt ${attempts}`, retryAt };
        await context.store.failOutboxMessage(delivery.message.id, failure);
        if (retryAt === null) break;
        expect(await claimAt(context.store, offsetOf(retryAt) - 1)).toEqual([]);
        now = retryAt;
        [delivery] = await claimAt(context.store, offsetOf(now));
        expect(delivery?.message).toMatchObject({ id: failing.message.id, attempts: attempts + 1, lastError: `attempt ${attempts}` });
      }

      expect(delivery.message.attempts).toBe(OUTBOX.maxAttempts);
      expect(await context.store.countOutboxMessages()).toEqual({ pending: 0, failed: 1 });
      expect(await claimAt(context.store, 100 * OUTBOX.retryMaxMs)).toEqual([]);
      expect(await context.store.getMeView(sent.linkTokenHash)).not.toBeNull();
    });

    it('keeps messages and links across a reopen', async () => {
      if (!context.reopenStore) return;
      await drawnExchange(context.store);
      const [first] = await claimAt(context.store, 61_000, 1);
      await context.store.completeOutboxMessage(first.message.id, at(61_500));

      const reopened = await context.reopenStore();

      expect(await reopened.getMeView(first.linkTokenHash)).not.toBeNull();
      expect(await reopened.countOutboxMessages()).toEqual({ pending: 2, failed: 0 });
      expect(await claimAt(reopened, 62_000)).toHaveLength(2);
    });
  });
}
