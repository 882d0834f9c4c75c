import {
  addParticipantSchema,
  createExchangeSchema,
  hashSecret,
  isId,
  LIMITS,
  TABLES,
  type AssignmentRow,
  type ExclusionRow,
  type NewExchange,
  type ParticipantRecord,
  type TableName,
} from '@santa/domain';
import { describe, expect, it } from 'vitest';
import { generateDataset, planDataset, type DatasetOptions } from './index';

function collect(options: DatasetOptions, batchParticipants?: number) {
  const dataset = generateDataset(options, batchParticipants);
  const tables = Object.fromEntries(TABLES.map((table) => [table, [] as unknown[]])) as Record<TableName, unknown[]>;
  const order: TableName[] = [];
  for (const batch of dataset.tables) {
    tables[batch.table].push(...batch.rows);
    order.push(batch.table);
  }
  return {
    exchanges: tables.exchanges as NewExchange[],
    participants: tables.participants as ParticipantRecord[],
    exclusions: tables.exclusions as ExclusionRow[],
    assignments: tables.assignments as AssignmentRow[],
    order,
    tokens: dataset.tokens(),
  };
}

describe('the dataset generator', () => {
  it('is deterministic: the same seed gives the same rows and tokens, another seed others', () => {
    const a = collect({ seed: 7, participants: 1_234 });
    const b = collect({ seed: 7, participants: 1_234 }, 300);
    expect(JSON.stringify(b)).toEqual(JSON.stringify({ ...a, order: b.order }));
    const c = collect({ seed: 8, participants: 1_234 });
    expect(c.participants[0]?.id).not.toBe(a.participants[0]?.id);
    expect(c.tokens.participantTokens[0]).not.toBe(a.tokens.participantTokens[0]);
  });

  it('splits participants into exchanges and merges a tail too small to draw', () => {
    expect(planDataset({ seed: 1, participants: 250 }).exchangeSizes).toEqual([100, 100, 50]);
    expect(planDataset({ seed: 1, participants: 201 }).exchangeSizes).toEqual([100, 101]);
    expect(planDataset({ seed: 1, participants: 3, participantsPerExchange: 3 }).exchangeSizes).toEqual([3]);
    expect(() => planDataset({ seed: 1, participants: 2 })).toThrow(/participants/);
    expect(() => planDataset({ seed: 1, participants: 100, participantsPerExchange: 10_001 })).toThrow(/participantsPerExchange/);
    expect(() => planDataset({ seed: 1, participants: 100, drawnRate: 2 })).toThrow(/drawnRate/);
  });

  it('writes every batch after the rows it refers to', () => {
    const { order } = collect({ seed: 3, participants: 2_000 }, 500);
    expect(order.slice(0, 4)).toEqual(['exchanges', 'participants', 'exclusions', 'assignments']);
    expect(order.filter((table) => table === 'exchanges')).toHaveLength(4);
  });

  it('produces rows the API itself would accept, with tokens that hash to the stored hashes', () => {
    const { exchanges, participants, tokens } = collect({ seed: 11, participants: 1_000 });
    expect(exchanges).toHaveLength(10);
    expect(participants).toHaveLength(1_000);
    expect(tokens.participantTokens).toHaveLength(1_000);
    for (const exchange of exchanges) {
      expect(isId(exchange.id)).toBe(true);
      const body = { name: exchange.name, budget: exchange.budget, exchangeDate: exchange.exchangeDate, rules: exchange.rules };
      expect(createExchangeSchema.safeParse(body).success).toBe(true);
    }
    participants.forEach((participant, i) => {
      expect(isId(participant.id)).toBe(true);
      expect(addParticipantSchema.safeParse({ name: participant.name, email: participant.email, wishlist: participant.wishlist }).success).toBe(true);
      expect(participant.tokenHash).toBe(hashSecret(tokens.participantTokens[i] ?? ''));
    });
    tokens.exchanges.forEach((secrets, i) => {
      expect(exchanges[i]?.organizerTokenHash).toBe(hashSecret(secrets.organizerToken));
      expect(exchanges[i]?.inviteCodeHash).toBe(hashSecret(secrets.inviteCode));
    });
    const emails = new Set(participants.map((p) => `${p.exchangeId}/${p.email}`));
    expect(emails.size).toBe(participants.length);
    expect(new Set(participants.map((p) => p.tokenHash)).size).toBe(participants.length);
  });

  it('draws every drawn exchange validly: a permutation, nobody draws themselves, no exclusion broken', () => {
    const { exchanges, participants, exclusions, assignments } = collect({ seed: 5, participants: 3_000, exclusionRate: 0.4 });
    expect(exclusions.length).toBeGreaterThan(0);
    const excluded = new Set(exclusions.map((e) => `${e.giverId}>${e.receiverId}`));
    for (const exchange of exchanges) {
      expect(exchange.status).toBe('drawn');
      const members = participants.filter((p) => p.exchangeId === exchange.id).map((p) => p.id);
      const drawn = assignments.filter((a) => a.exchangeId === exchange.id);
      expect(drawn.map((a) => a.giverId).sort()).toEqual([...members].sort());
      expect(drawn.map((a) => a.receiverId).sort()).toEqual([...members].sort());
      for (const a of drawn) {
        expect(a.giverId).not.toBe(a.receiverId);
        expect(excluded.has(`${a.giverId}>${a.receiverId}`)).toBe(false);
      }
    }
  });

  it('honours the rates: open exchanges have no assignments, wishlists and exclusions in proportion', () => {
    const { exchanges, participants, exclusions, assignments, tokens } = collect({
      seed: 2,
      participants: 10_000,
      drawnRate: 0,
      wishlistRate: 0.5,
      exclusionRate: 0.2,
    });
    expect(exchanges.every((e) => e.status === 'open' && e.drawnAt === null)).toBe(true);
    expect(assignments).toHaveLength(0);
    expect(tokens.exchanges.every((e) => !e.drawn)).toBe(true);
    const withWishlist = participants.filter((p) => p.wishlist !== '').length / participants.length;
    expect(withWishlist).toBeGreaterThan(0.45);
    expect(withWishlist).toBeLessThan(0.55);
    const excludedShare = exclusions.length / participants.length;
    expect(excludedShare).toBeGreaterThan(0.15);
    expect(excludedShare).toBeLessThan(0.25);
    expect(participants.every((p) => p.wishlist.length <= LIMITS.wishlist)).toBe(true);
  });
});
