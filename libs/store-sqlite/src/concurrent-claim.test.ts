import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { drawInCircle, newExchangeRecord, newParticipantRecords } from '@santa/domain/testing';
import { startChildScript } from './testing/child-process';
import { TempDatabases } from './testing/temp-databases';

const databases = new TempDatabases();
afterAll(() => databases.cleanup());

const PARTICIPANTS = 120;

/** A separate process with its own connection to the database at `path`, claiming outbox messages when told. */
async function startClaimer(path: string) {
  const child = startChildScript('race-claims.ts', [path]);
  expect(await child.nextLine()).toBe('ready');
  return {
    async claimAll(now: string): Promise<string[]> {
      child.send(now);
      return JSON.parse(await child.nextLine()) as string[];
    },
    stop: () => child.end(),
  };
}

describe('concurrent outbox claims on one database file', () => {
  it(
    'two processes claiming the same queue at once claim every message exactly once',
    async () => {
      const setup = await databases.open();
      const exchange = await setup.createExchange(newExchangeRecord());
      await setup.addParticipants(exchange.id, newParticipantRecords(exchange.id, PARTICIPANTS));
      const drawnAt = new Date().toISOString();
      await setup.draw(exchange.id, drawnAt, drawInCircle);
      await setup.close();

      const claimers = await Promise.all([startClaimer(databases.path), startClaimer(databases.path)]);
      const claimed = await Promise.all(claimers.map((claimer) => claimer.claimAll(drawnAt)));
      await Promise.all(claimers.map((claimer) => claimer.stop()));

      const ids = claimed.flat();
      expect(ids).toHaveLength(PARTICIPANTS);
      expect(new Set(ids).size).toBe(PARTICIPANTS);
      const db = new Database(databases.path, { readonly: true });
      const stored = db
        .prepare('SELECT count(*) AS links, count(DISTINCT message_id) AS messages FROM participant_links')
        .get();
      db.close();
      expect(stored).toEqual({ links: PARTICIPANTS, messages: PARTICIPANTS });
    },
    60_000,
  );
});
