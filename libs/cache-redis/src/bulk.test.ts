import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newExchangeRecord, newParticipantRecord, newParticipantRecords, runBulkContract } from '@santa/domain/testing';
import { startRedis, type RunningRedis } from '@santa/services';
import { createMemoryStore } from '@santa/store-memory';
import { createCachedStore } from './cached-store';
import { cacheAvailable, metricValue } from './test-support';

let redis: RunningRedis;
let prefixes = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

/** A cache over a new memory store, with a key prefix and a registry of its own, serving from Redis. */
async function openBulkCachedStore() {
  const registry = new Registry();
  prefixes += 1;
  const store = createCachedStore(createMemoryStore(), {
    redis: redis.url,
    ttlSeconds: 60,
    commandTimeoutMs: 5_000,
    keyPrefix: `bulk:${process.pid}:${prefixes}:`,
    registry,
  });
  await cacheAvailable(registry);
  return { store, registry };
}

runBulkContract('redis-cache over memory', {
  open: async () => (await openBulkCachedStore()).store,
  cleanup: () => Promise.resolve(),
});

describe('bulk writes through the cache', () => {
  it('void every cached view when they write rows, so the next reads see them', async () => {
    const { store, registry } = await openBulkCachedStore();
    try {
      const exchange = await store.createExchange(newExchangeRecord());
      const [ann] = await store.addParticipants(exchange.id, newParticipantRecords(exchange.id, 3));
      await store.getMeView(ann.tokenHash);
      await store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash);
      const hitsBefore = await metricValue(registry, 'santa_cache_reads_total', { result: 'hit' });
      expect((await store.getMeView(ann.tokenHash))?.exchange.participantCount).toBe(3);
      expect(await metricValue(registry, 'santa_cache_reads_total', { result: 'hit' })).toBe(hitsBefore + 1);
      const voided = await metricValue(registry, 'santa_cache_invalidations_total', { scope: 'everything' });

      await store.writeRows('participants', [newParticipantRecord(exchange.id, { wishlist: 'Tea' })]);

      expect(await metricValue(registry, 'santa_cache_invalidations_total', { scope: 'everything' })).toBe(voided + 1);
      expect((await store.getMeView(ann.tokenHash))?.exchange).toMatchObject({ participantCount: 4, wishlistCount: 1 });
      expect(await store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash)).toMatchObject({ participantCount: 4 });
    } finally {
      await store.close();
    }
  });

  it('keep the cache when they write nothing new', async () => {
    const { store, registry } = await openBulkCachedStore();
    try {
      const exchange = newExchangeRecord();
      await store.writeRows('exchanges', [exchange]);
      await store.getExchange(exchange.id);
      const voided = await metricValue(registry, 'santa_cache_invalidations_total', { scope: 'everything' });

      expect(await store.writeRows('exchanges', [exchange])).toEqual({ written: 0, skipped: 1 });

      expect(await metricValue(registry, 'santa_cache_invalidations_total', { scope: 'everything' })).toBe(voided);
      const hits = await metricValue(registry, 'santa_cache_reads_total', { result: 'hit' });
      await store.getExchange(exchange.id);
      expect(await metricValue(registry, 'santa_cache_reads_total', { result: 'hit' })).toBe(hits + 1);
    } finally {
      await store.close();
    }
  });
});
