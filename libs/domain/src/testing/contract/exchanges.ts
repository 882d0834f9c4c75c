import { describe, expect, it } from 'vitest';
import { LIMITS, type NewExchange } from '../../model';
import { hashSecret } from '../../secrets';
import { newId } from '../../ids';
import { newExchangeRecord } from '../builders';
import { codePoints, type ContractContext } from './support';

export function exchangeContract(context: ContractContext): void {
  describe('exchanges', () => {
    it('creates an exchange and returns it with zero counts', async () => {
      const exchange = newExchangeRecord();
      const expected = { ...exchange, participantCount: 0, wishlistCount: 0, exclusionCount: 0 };

      expect(await context.store.createExchange(exchange)).toEqual(expected);
      expect(await context.store.getExchange(exchange.id)).toEqual(expected);
      expect(await context.store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash)).toEqual(expected);
    });

    it('round-trips every field, null budget and date, Unicode and text at the limits', async () => {
      const variants: NewExchange[] = [
        newExchangeRecord({ budget: null, exchangeDate: null, rules: { singleCycle: true } }),
        newExchangeRecord({
          name: codePoints('Wichteln 🎁 雪の日 «Noël» "quoted", =1+1; ', LIMITS.exchangeName),
          budget: { amount: LIMITS.budgetAmountMax, currency: 'EUR' },
          exchangeDate: '2027-01-06',
        }),
        newExchangeRecord({ name: 'x', budget: { amount: 0, currency: 'JPY' }, exchangeDate: '2026-02-28' }),
        newExchangeRecord({ name: 'سانتا السري', budget: { amount: 49.99, currency: 'USD' } }),
      ];
      for (const exchange of variants) {
        await context.store.createExchange(exchange);
      }
      for (const exchange of variants) {
        const expected = { ...exchange, participantCount: 0, wishlistCount: 0, exclusionCount: 0 };
        expect(await context.store.getExchange(exchange.id)).toEqual(expected);
        expect(await context.store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash)).toEqual(expected);
      }
    });

    it('finds each exchange by its own organizer token hash only', async () => {
      const first = await context.store.createExchange(newExchangeRecord());
      const second = await context.store.createExchange(newExchangeRecord());

      expect((await context.store.getExchangeByOrganizerTokenHash(first.organizerTokenHash))?.id).toBe(first.id);
      expect((await context.store.getExchangeByOrganizerTokenHash(second.organizerTokenHash))?.id).toBe(second.id);
      expect(await context.store.getExchangeByOrganizerTokenHash(first.inviteCodeHash)).toBeNull();
    });

    it('answers null for an unknown id or token hash', async () => {
      await context.store.createExchange(newExchangeRecord());

      expect(await context.store.getExchange(newId())).toBeNull();
      expect(await context.store.getExchangeByOrganizerTokenHash(hashSecret('no such token'))).toBeNull();
    });
  });
}
