import { describe, expect, it } from 'vitest';
import { DomainError } from '../../errors';
import { newId } from '../../ids';
import type { ExchangeRecord, ParticipantRecord } from '../../model';
import type { IdempotencyIntent } from '../../port';
import { drawInCircle, newExchangeRecord, newIdempotencyIntent, newParticipantRecord } from '../builders';
import {
  at,
  expectCounts,
  expectDomainError,
  listAll,
  seedExchange,
  seedParticipants,
  type ContractContext,
} from './support';

/** The record a store must keep for an intent whose write returned `result`. */
function expectedRecord<R>(intent: IdempotencyIntent<R>, status: number, result: R) {
  return {
    keyHash: intent.keyHash,
    requestHash: intent.requestHash,
    status,
    sealedBody: JSON.stringify(result),
    createdAt: intent.createdAt,
  };
}

export function idempotencyContract(context: ContractContext): void {
  describe('idempotency records', () => {
    it('stores the response of createExchange with the write', async () => {
      const intent = newIdempotencyIntent<ExchangeRecord>({ status: 201 });

      const created = await context.store.createExchange(newExchangeRecord(), intent);

      expect(intent.results).toEqual([created]);
      expect(await context.store.getIdempotencyRecord(intent.keyHash, intent.createdAt)).toEqual(
        expectedRecord(intent, 201, created),
      );
    });

    it('stores the response of addParticipants with the write', async () => {
      const exchange = await seedExchange(context.store);
      const intent = newIdempotencyIntent<ParticipantRecord[]>({ status: 201 });

      const added = await context.store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], intent);

      expect(intent.results).toEqual([added]);
      expect(await context.store.getIdempotencyRecord(intent.keyHash, intent.createdAt)).toEqual(
        expectedRecord(intent, 201, added),
      );
    });

    it('stores the response of the draw with the write', async () => {
      const exchange = await seedExchange(context.store);
      await seedParticipants(context.store, exchange.id, 3);
      const intent = newIdempotencyIntent<ExchangeRecord>({ status: 200 });

      const drawn = await context.store.draw(exchange.id, at(60_000), drawInCircle, intent);

      expect(intent.results).toEqual([drawn]);
      expect(await context.store.getIdempotencyRecord(intent.keyHash, intent.createdAt)).toEqual(
        expectedRecord(intent, 200, drawn),
      );
    });

    it('answers null for an unknown key or a record created before notBefore', async () => {
      const intent = newIdempotencyIntent<ExchangeRecord>({ createdAt: at(0) });
      await context.store.createExchange(newExchangeRecord(), intent);

      expect(await context.store.getIdempotencyRecord(intent.keyHash, at(0))).not.toBeNull();
      expect(await context.store.getIdempotencyRecord(intent.keyHash, at(1))).toBeNull();
      expect(await context.store.getIdempotencyRecord(intent.requestHash, at(-1))).toBeNull();
    });

    it('rejects a second write with a live key as idempotency_key_in_use, doing none of its work', async () => {
      const exchange = await seedExchange(context.store);
      const first = newIdempotencyIntent<ParticipantRecord[]>({ createdAt: at(0), replaceBefore: at(-1) });
      const [ann] = await context.store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], first);
      const stored = await context.store.getIdempotencyRecord(first.keyHash, at(0));
      const twin = { keyHash: first.keyHash, createdAt: at(5), replaceBefore: at(-1) };
      const participantTwin = newIdempotencyIntent<ParticipantRecord[]>(twin);
      const exchangeTwin = newIdempotencyIntent<ExchangeRecord>(twin);
      const drawTwin = newIdempotencyIntent<ExchangeRecord>(twin);
      const secondExchange = newExchangeRecord();
      await seedParticipants(context.store, exchange.id, 2);

      await expectDomainError(
        context.store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], participantTwin),
        'idempotency_key_in_use',
      );
      await expectDomainError(context.store.createExchange(secondExchange, exchangeTwin), 'idempotency_key_in_use');
      await expectDomainError(context.store.draw(exchange.id, at(60_000), drawInCircle, drawTwin), 'idempotency_key_in_use');

      expect([participantTwin.results, exchangeTwin.results, drawTwin.results]).toEqual([[], [], []]);
      await expectCounts(context.store, exchange, { participantCount: 3, wishlistCount: 0, exclusionCount: 0 });
      expect(await context.store.getExchange(secondExchange.id)).toBeNull();
      expect(await context.store.getExchange(exchange.id)).toMatchObject({ status: 'open', drawnAt: null });
      expect((await context.store.getMeView(ann.tokenHash))?.giftee).toBeNull();
      expect(await context.store.getIdempotencyRecord(first.keyHash, at(0))).toEqual(stored);
    });

    it('lets exactly one of two concurrent writes with the same key win', async () => {
      const exchange = await seedExchange(context.store);
      const first = newIdempotencyIntent<ParticipantRecord[]>();
      const second = newIdempotencyIntent<ParticipantRecord[]>({ keyHash: first.keyHash });

      const outcomes = await Promise.allSettled([
        context.store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], first),
        context.store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], second),
      ]);

      const winners = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      const losers = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0]).toBeInstanceOf(DomainError);
      expect((losers[0] as DomainError).code).toBe('idempotency_key_in_use');
      expect(await listAll(context.store, exchange.id)).toHaveLength(1);
      const winner = first.results.length === 1 ? first : second;
      expect(await context.store.getIdempotencyRecord(first.keyHash, winner.createdAt)).toEqual(
        expectedRecord(winner, 201, winners[0]),
      );
    });

    it('replaces an expired record', async () => {
      const exchange = await seedExchange(context.store);
      const old = newIdempotencyIntent<ParticipantRecord[]>({ createdAt: at(0) });
      await context.store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], old);
      const fresh = newIdempotencyIntent<ParticipantRecord[]>({ keyHash: old.keyHash, createdAt: at(10), replaceBefore: at(1) });

      const added = await context.store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], fresh);

      expect(await context.store.getIdempotencyRecord(old.keyHash, at(0))).toEqual(expectedRecord(fresh, 201, added));
      await expectCounts(context.store, exchange, { participantCount: 2, wishlistCount: 0, exclusionCount: 0 });
    });

    it('stores no record when the write fails', async () => {
      const exchange = await seedExchange(context.store);
      await seedParticipants(context.store, exchange.id, [{ email: 'ann@example.test' }, {}, {}]);
      const duplicate = newIdempotencyIntent<ParticipantRecord[]>({ createdAt: at(0) });
      const unknownExchange = newIdempotencyIntent<ParticipantRecord[]>({ createdAt: at(0) });
      const failedDraw = newIdempotencyIntent<ExchangeRecord>({ createdAt: at(0) });

      await expectDomainError(
        context.store.addParticipants(
          exchange.id,
          [newParticipantRecord(exchange.id, { email: 'ANN@example.test' })],
          duplicate,
        ),
        'duplicate_email',
      );
      const nowhere = newId();
      await expectDomainError(
        context.store.addParticipants(nowhere, [newParticipantRecord(nowhere)], unknownExchange),
        'not_found',
      );
      await expectDomainError(
        context.store.draw(
          exchange.id,
          at(60_000),
          () => {
            throw new DomainError('infeasible_draw');
          },
          failedDraw,
        ),
        'infeasible_draw',
      );

      for (const intent of [duplicate, unknownExchange, failedDraw]) {
        expect(await context.store.getIdempotencyRecord(intent.keyHash, at(0))).toBeNull();
      }
    });

    it('writes nothing when building the response fails', async () => {
      const exchange = await seedExchange(context.store);
      const failure = new Error('The response cannot be sealed.');
      const intent: IdempotencyIntent<ParticipantRecord[]> = {
        ...newIdempotencyIntent<ParticipantRecord[]>({ createdAt: at(0) }),
        respond() {
          throw failure;
        },
      };

      await expect(
        context.store.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], intent),
      ).rejects.toBe(failure);

      await expectCounts(context.store, exchange, { participantCount: 0, wishlistCount: 0, exclusionCount: 0 });
      expect(await context.store.getIdempotencyRecord(intent.keyHash, at(0))).toBeNull();
    });

    it('purges records created before an instant and counts them', async () => {
      const intents = [-3, -2, -1, 0, 1].map((offset) =>
        newIdempotencyIntent<ExchangeRecord>({ createdAt: at(offset * 1000) }),
      );
      for (const intent of intents) {
        await context.store.createExchange(newExchangeRecord(), intent);
      }

      expect(await context.store.purgeIdempotencyRecords(at(0))).toBe(3);
      expect(await context.store.purgeIdempotencyRecords(at(0))).toBe(0);

      const remaining = await Promise.all(
        intents.map((intent) => context.store.getIdempotencyRecord(intent.keyHash, at(-10_000))),
      );
      expect(remaining.map((record) => record?.createdAt ?? null)).toEqual([null, null, null, at(0), at(1000)]);
    });
  });
}
