import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { isoNow, type ExchangeStore, type ParticipantRecord } from '@santa/domain';
import { drawInCircle, newExchangeRecord, newParticipantRecords } from '@santa/domain/testing';
import { startRedis, type RunningRedis } from '@santa/services';
import { createMemoryStore } from '@santa/store-memory';
import type { CacheLogger } from './connection';
import { NetworkSwitch, metricValue, observe, openCachedStore, type ObservedStore } from './test-support';

let redis: RunningRedis;
let inspector: Redis;
const cleanups: (() => Promise<unknown> | void)[] = [];
const consoleError = vi.spyOn(console, 'error');

beforeAll(async () => {
  redis = await startRedis();
  // Unlike the cache, the test's own client waits for Redis: it queues commands while it reconnects.
  inspector = new Redis(redis.url, { maxRetriesPerRequest: null });
  inspector.on('error', () => {
    // The outage tests stop this Redis on purpose.
  });
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  // ioredis prints "[ioredis] Unhandled error event" when nobody listens: the cache always listens.
  expect(consoleError).not.toHaveBeenCalled();
});
afterAll(async () => {
  inspector?.disconnect();
  await redis?.stop();
});

interface World {
  truth: ExchangeStore;
  observed: ObservedStore;
  exchange: { id: string; organizerTokenHash: string };
  participants: ParticipantRecord[];
}

/** A drawn exchange in a fresh database. */
async function world(): Promise<World> {
  const truth = createMemoryStore();
  const exchange = await truth.createExchange(newExchangeRecord());
  const participants = await truth.addParticipants(exchange.id, newParticipantRecords(exchange.id, 6, { wishlist: 'Tea' }));
  await truth.draw(exchange.id, isoNow(), drawInCircle);
  return { truth, observed: observe(truth), exchange, participants };
}

async function cachedOver(
  { observed }: World,
  options: { redis?: string; keyPrefix?: string; commandTimeoutMs?: number; cooldownMs?: number; logger?: CacheLogger } = {},
): Promise<{ store: ExchangeStore; registry: Registry }> {
  const opened = await openCachedStore(observed.store, { redis: redis.url, ...options });
  cleanups.push(() => opened.store.close());
  return opened;
}

/** Every cached view of the world, read twice so the second read can be a hit. */
async function readViews(store: ExchangeStore, { exchange, participants }: World) {
  const once = async () => ({
    dashboard: await store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash),
    exchange: await store.getExchange(exchange.id),
    me: await Promise.all(participants.map((participant) => store.getMeView(participant.tokenHash))),
  });
  const first = await once();
  expect(await once()).toEqual(first);
  return first;
}

const available = (registry: Registry) => metricValue(registry, 'santa_cache_available');
const reads = (registry: Registry, result: string) => metricValue(registry, 'santa_cache_reads_total', { result });
const errors = (registry: Registry, operation?: string) =>
  metricValue(registry, 'santa_cache_errors_total', operation === undefined ? {} : { operation });

async function until(check: () => Promise<boolean>): Promise<void> {
  await vi.waitFor(async () => expect(await check()).toBe(true), { timeout: 15_000, interval: 20 });
}

describe('Redis killed and started again', () => {
  it('keeps every call working through the outage, then serves hits again without a new store, never stale', async () => {
    const w = await world();
    const messages: string[] = [];
    const logger: CacheLogger = {
      info: (_details, message) => messages.push(`info ${message}`),
      warn: (_details, message) => messages.push(`warn ${message}`),
    };
    const { store, registry } = await cachedOver(w, { logger });
    await readViews(store, w);
    const [ann, bob] = w.participants;

    // Mixed traffic, eight calls at a time, with Redis killed a quarter of the way in.
    const operations = Array.from({ length: 400 }, (_, index) => async () => {
      const participant = w.participants[index % w.participants.length];
      if (index === 100) await redis.kill();
      switch (index % 4) {
        case 0:
          return store.getMeView(participant.tokenHash);
        case 1:
          return store.getExchangeByOrganizerTokenHash(w.exchange.organizerTokenHash);
        case 2:
          return store.updateWishlist(participant.tokenHash, `Wish ${index}`);
        default:
          return store.listParticipants(w.exchange.id, { limit: 10 });
      }
    });
    for (let start = 0; start < operations.length; start += 8) {
      const batch = operations.slice(start, start + 8).map((operation) => operation());
      const outcomes = await Promise.allSettled(batch);
      expect(outcomes.filter((outcome) => outcome.status === 'rejected')).toEqual([]);
    }

    // Down and known to be down: reads go straight to the store without trying Redis.
    await until(async () => (await available(registry)) === 0);
    const bypassed = await reads(registry, 'bypass');
    const readErrors = await errors(registry, 'read');
    await store.updateWishlist(bob.tokenHash, 'Written while Redis was down');
    for (let read = 0; read < 50; read += 1) {
      expect((await store.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('Written while Redis was down');
    }
    expect(await reads(registry, 'bypass')).toBe(bypassed + 50);
    expect(await errors(registry, 'read')).toBe(readErrors);
    expect(await errors(registry)).toBeGreaterThan(0);

    // Back: the same store reconnects by itself and serves hits again, never an old view.
    await redis.start();
    await until(async () => (await available(registry)) === 1);
    const hits = await reads(registry, 'hit');
    expect(await readViews(store, w)).toEqual(await readViews(w.truth, w));
    expect(await reads(registry, 'hit')).toBeGreaterThan(hits);
    expect(messages).toEqual([
      'info cache available: hot reads are served from Redis',
      'warn cache unavailable: reads go to the store until Redis answers again',
      'info cache available: hot reads are served from Redis',
    ]);
  });
});

describe('a network cut: Redis keeps running with its old entries', () => {
  it('never serves a view older than a write made during the cut, in this process or another', async () => {
    const w = await world();
    const network = await NetworkSwitch.start(redis.port);
    cleanups.push(() => network.cut());
    const prefix = `cut:${process.pid}:`;
    const cutOff = await cachedOver(w, { redis: network.url, keyPrefix: prefix });
    const other = await cachedOver(w, { keyPrefix: prefix });
    const [ann, bob] = w.participants;
    await readViews(cutOff.store, w);
    await readViews(other.store, w);

    await network.cut();
    await until(async () => (await available(cutOff.registry)) === 0);
    // The write succeeds; its invalidation cannot reach Redis.
    await cutOff.store.updateWishlist(bob.tokenHash, 'Written during the cut');
    expect((await cutOff.store.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('Written during the cut');
    // The old view of Ann is still in Redis.
    const stored = await Promise.all((await inspector.keys(`${prefix}me:${ann.tokenHash}:*`)).map((key) => inspector.get(key)));
    expect(stored.map((json) => JSON.parse(json ?? 'null')?.giftee?.wishlist)).toContain('Tea');

    await network.heal();
    await until(async () => (await available(cutOff.registry)) === 1);

    const truth = await readViews(w.truth, w);
    expect(truth.me[0]?.giftee?.wishlist).toBe('Written during the cut');
    expect(await readViews(cutOff.store, w)).toEqual(truth);
    expect(await readViews(other.store, w)).toEqual(truth);
  });

  it('a write whose invalidation times out invalidates over a fresh connection before it resolves', async () => {
    const w = await world();
    const network = await NetworkSwitch.start(redis.port);
    cleanups.push(() => network.cut());
    const prefix = `stall:${process.pid}:`;
    // A cooldown longer than the test: the last read below must find it still running.
    const stalled = await cachedOver(w, { redis: network.url, keyPrefix: prefix, commandTimeoutMs: 100, cooldownMs: 600_000 });
    const other = await cachedOver(w, { keyPrefix: prefix });
    const [ann, bob] = w.participants;
    await readViews(stalled.store, w);
    await readViews(other.store, w);

    network.stall();
    await stalled.store.updateWishlist(bob.tokenHash, 'Written over a stalled connection');

    expect(await errors(stalled.registry, 'invalidate')).toBe(1);
    expect(await metricValue(stalled.registry, 'santa_cache_invalidations_total', { scope: 'exchange' })).toBeGreaterThan(0);
    expect((await other.store.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('Written over a stalled connection');
    // The stalled process itself leaves Redis alone for a while and reads from the store.
    expect((await stalled.store.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('Written over a stalled connection');
    expect(await reads(stalled.registry, 'bypass')).toBe(1);
  });
});

describe('Redis refusing writes', () => {
  it('answers reads from the store while Redis is out of memory, stays connected, and serves hits again after', async () => {
    const w = await world();
    const { store, registry } = await cachedOver(w);
    const [ann, bob] = w.participants;
    await readViews(store, w);
    await inspector.config('SET', 'maxmemory-policy', 'noeviction');
    await inspector.config('SET', 'maxmemory', '1');
    cleanups.push(async () => {
      await inspector.config('SET', 'maxmemory', '256mb');
      await inspector.config('SET', 'maxmemory-policy', 'allkeys-lru');
    });

    await store.updateWishlist(bob.tokenHash, 'Written while Redis is full');
    expect((await store.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('Written while Redis is full');
    expect(await readViews(store, w)).toEqual(await readViews(w.truth, w));
    expect(await available(registry)).toBe(1);
    expect(await errors(registry, 'read')).toBeGreaterThan(0);

    await inspector.config('SET', 'maxmemory', '256mb');
    const hits = await reads(registry, 'hit');
    expect(await readViews(store, w)).toEqual(await readViews(w.truth, w));
    expect(await reads(registry, 'hit')).toBeGreaterThan(hits);
  });
});
