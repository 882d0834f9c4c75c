import { expect } from 'vitest';
import { DomainError, type ErrorCode } from '../../errors';
import type { Exclusion, ExchangeRecord, NewExchange, Participant, ParticipantRecord } from '../../model';
import type { ExchangeStore } from '../../port';
import { newExchangeRecord, newParticipantRecord } from '../builders';

/**
 * A bound against hangs for the tests that make many writes or hold the largest
 * exchange, not a performance claim: a store that rewrites its files on every write
 * (the CSV stage) takes seconds there, by design.
 */
export const SLOW_TEST_TIMEOUT_MS = 60_000;

/** What each group of contract tests gets from the runner. */
export interface ContractContext {
  /** The store of the running test: fresh and empty for every test. */
  readonly store: ExchangeStore;
  /** Closes the running test's store; the runner will not close it again. */
  closeStore(): Promise<void>;
  /**
   * Closes the running test's store and opens its location again, or undefined when
   * the adapter keeps nothing across a close.
   */
  readonly reopenStore: (() => Promise<ExchangeStore>) | undefined;
}

export async function expectDomainError(promise: Promise<unknown>, code: ErrorCode): Promise<DomainError> {
  const outcome = await promise.then(
    (value: unknown) => ({ settled: 'fulfilled' as const, value }),
    (error: unknown) => ({ settled: 'rejected' as const, error }),
  );
  if (outcome.settled === 'fulfilled') {
    expect.fail(`expected DomainError(${code}), but the call succeeded`);
  }
  expect(outcome.error, `expected DomainError(${code})`).toBeInstanceOf(DomainError);
  expect((outcome.error as DomainError).code).toBe(code);
  return outcome.error as DomainError;
}

export async function seedExchange(store: ExchangeStore, overrides: Partial<NewExchange> = {}): Promise<ExchangeRecord> {
  return store.createExchange(newExchangeRecord(overrides));
}

/** Adds one participant per entry of `specs` (or `specs` default ones) in one batch. */
export async function seedParticipants(
  store: ExchangeStore,
  exchangeId: string,
  specs: number | Partial<ParticipantRecord>[],
): Promise<ParticipantRecord[]> {
  const overrides = typeof specs === 'number' ? Array.from({ length: specs }, () => ({})) : specs;
  return store.addParticipants(
    exchangeId,
    overrides.map((fields) => newParticipantRecord(exchangeId, fields)),
  );
}

/** Every participant of the exchange, read page by page. */
export async function listAll(store: ExchangeStore, exchangeId: string, pageSize = 500): Promise<Participant[]> {
  const all: Participant[] = [];
  for (;;) {
    const last = all.at(-1);
    const page = await store.listParticipants(exchangeId, {
      limit: pageSize,
      ...(last && { after: { joinedAt: last.joinedAt, id: last.id } }),
    });
    all.push(...page);
    if (page.length < pageSize) return all;
  }
}

export interface Counts {
  participantCount: number;
  wishlistCount: number;
  exclusionCount: number;
}

/** Checks the counts through both reads of an exchange. */
export async function expectCounts(store: ExchangeStore, exchange: ExchangeRecord, counts: Counts): Promise<void> {
  const byId = await store.getExchange(exchange.id);
  const byToken = await store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash);
  for (const read of [byId, byToken]) {
    expect(read && pickCounts(read)).toEqual(counts);
  }
}

export function pickCounts(record: ExchangeRecord): Counts {
  const { participantCount, wishlistCount, exclusionCount } = record;
  return { participantCount, wishlistCount, exclusionCount };
}

/** The order participants list in: by joinedAt, ties broken by id. */
export function joinOrder(a: { joinedAt: string; id: string }, b: { joinedAt: string; id: string }): number {
  return compareText(a.joinedAt, b.joinedAt) || compareText(a.id, b.id);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Exclusions form a set: compare them in one canonical order. */
export function sortedExclusions(exclusions: Exclusion[]): Exclusion[] {
  return exclusions
    .map(({ giverId, receiverId }) => ({ giverId, receiverId }))
    .sort((a, b) => compareText(a.giverId, b.giverId) || compareText(a.receiverId, b.receiverId));
}

/** An ISO timestamp `offsetMs` after a fixed instant, for data whose order a test sets. */
export function at(offsetMs: number): string {
  return new Date(Date.UTC(2026, 10, 1) + offsetMs).toISOString();
}

/** The first `count` Unicode code points of `text` repeated: never splits a surrogate pair. */
export function codePoints(text: string, count: number): string {
  const points = Array.from(text);
  return Array.from({ length: count }, (_, index) => points[index % points.length]).join('');
}
