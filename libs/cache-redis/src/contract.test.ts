import { beforeAll } from 'vitest';
import { runStoreContract } from '@santa/domain/testing';
import { startRedis, type RunningRedis } from '@santa/services';
import { createMemoryStore } from '@santa/store-memory';
import { openCachedStore } from './test-support';

let redis: RunningRedis;

beforeAll(async () => {
  redis = await startRedis();
});

runStoreContract('redis-cache over memory', {
  // Each store has a key prefix of its own, so it starts with an empty cache as it starts with an empty store,
  // and it is connected and trusted before the test starts, so the tests read through Redis.
  open: async () => (await openCachedStore(createMemoryStore(), { redis: redis.url })).store,
  cleanup: () => redis.stop(),
});
