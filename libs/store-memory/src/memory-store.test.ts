import { describe, expect, it } from 'vitest';
import { StoreUnavailableError, type ExchangeStore } from '@santa/domain';
import { newExchangeRecord, runBulkContract, runStoreContract } from '@santa/domain/testing';
import { createMemoryStore } from './memory-store';

runStoreContract('memory', {
  open: async () => createMemoryStore(),
  cleanup: () => Promise.resolve(),
});

runBulkContract('memory', {
  open: async () => createMemoryStore(),
  cleanup: () => Promise.resolve(),
});

/**
 * A memory store forgets everything when it closes, so the suite's durability checks
 * do not run above. Here each "reopen" hands out the same store again, standing in for
 * a durable adapter, so those checks themselves run on every change.
 */
let backing: ExchangeStore = createMemoryStore();
const survivingClose = (store: ExchangeStore): ExchangeStore => ({
  ...store,
  close: () => Promise.resolve(),
});

runStoreContract('memory, reopened within the process', {
  open: async () => {
    backing = createMemoryStore();
    return survivingClose(backing);
  },
  reopen: async () => survivingClose(backing),
  cleanup: () => Promise.resolve(),
});

describe('memory store', () => {
  it('refuses every call once closed', async () => {
    const store = createMemoryStore();
    const exchange = await store.createExchange(newExchangeRecord());

    await store.close();

    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.getExchange(exchange.id)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.createExchange(newExchangeRecord())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.close()).resolves.toBeUndefined();
  });
});
