import { afterAll, afterEach, beforeEach, describe } from 'vitest';
import type { ExchangeStore } from '../port';
import { concurrencyContract } from './contract/concurrency';
import { drawContract } from './contract/draw';
import { exchangeContract } from './contract/exchanges';
import { exclusionContract } from './contract/exclusions';
import { idempotencyContract } from './contract/idempotency';
import { isolationContract } from './contract/isolation';
import { lifecycleContract } from './contract/lifecycle';
import { meContract } from './contract/me';
import { outboxContract } from './contract/outbox';
import { participantContract } from './contract/participants';
import type { ContractContext } from './contract/support';

/** How the contract suite gets stores of one adapter. */
export interface StoreFactory {
  /** A new, empty store at a location of its own (a new file, schema, key prefix, ...). */
  open(): Promise<ExchangeStore>;
  /**
   * Opens again the location of the most recent `open()`, after the suite has closed
   * that store. Adapters that keep data across a close provide it, and the suite then
   * checks that nothing written is lost.
   */
  reopen?(): Promise<ExchangeStore>;
  /** Called once after the suite, every store closed: removes whatever `open()` created. */
  cleanup(): Promise<void>;
}

/**
 * Registers the contract of `ExchangeStore` (libs/domain/src/port.ts) as vitest tests.
 * Every test gets a fresh store from `factory.open()` and closes it afterwards.
 */
export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`ExchangeStore contract: ${name}`, () => {
    let current: ExchangeStore | undefined;

    async function closeStore(): Promise<void> {
      const store = current;
      current = undefined;
      await store?.close();
    }

    const reopen = factory.reopen?.bind(factory);
    const context: ContractContext = {
      get store() {
        if (!current) throw new Error('No store is open in this test.');
        return current;
      },
      closeStore,
      reopenStore:
        reopen &&
        (async () => {
          await closeStore();
          current = await reopen();
          return current;
        }),
    };

    beforeEach(async () => {
      current = await factory.open();
    });
    afterEach(closeStore);
    afterAll(() => factory.cleanup());

    exchangeContract(context);
    participantContract(context);
    exclusionContract(context);
    drawContract(context);
    meContract(context);
    idempotencyContract(context);
    concurrencyContract(context);
    isolationContract(context);
    lifecycleContract(context);
    outboxContract(context);
  });
}
