import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { newExchangeRecord } from '@santa/domain/testing';
import { startChildScript } from './testing/child-process';
import { TempDatabases } from './testing/temp-databases';

const databases = new TempDatabases();
afterAll(() => databases.cleanup());

const ACKNOWLEDGED = 100;

describe('durability', () => {
  it(
    'keeps every acknowledged write when the writing process is killed with SIGKILL',
    async () => {
      const setup = await databases.open();
      const exchange = await setup.createExchange(newExchangeRecord());
      await setup.close();

      const writer = startChildScript('write-until-killed.ts', [databases.path, exchange.id]);
      const acknowledged: string[] = [];
      while (acknowledged.length < ACKNOWLEDGED) acknowledged.push(await writer.nextLine());
      await writer.kill();

      const store = await databases.reopen();
      const stored = await store.listParticipants(exchange.id, { limit: 500 });
      const counted = await store.getExchange(exchange.id);
      await store.close();

      // Writes after the last acknowledged one may have landed too; none before it may be missing.
      expect(stored.map(({ id }) => id).slice(0, ACKNOWLEDGED)).toEqual(acknowledged);
      expect(counted?.participantCount).toBe(stored.length);
      expect(counted?.wishlistCount).toBe(stored.filter(({ wishlist }) => wishlist !== '').length);
      const db = new Database(databases.path, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      db.close();
    },
    60_000,
  );
});
