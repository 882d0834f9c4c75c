import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { isoNow } from '@santa/domain';
import { drawInCircle, newExchangeRecord, newParticipantRecords } from '@santa/domain/testing';
import { startChildScript } from './testing/child-process';
import { TempDatabases } from './testing/temp-databases';

const databases = new TempDatabases();
afterAll(() => databases.cleanup());

const ROUNDS = 10;
const PARTICIPANTS = 5;

/** A separate process with its own connection to the database at `path`, drawing the exchanges it is sent. */
async function startRacer(path: string) {
  const child = startChildScript('race-draws.ts', [path]);
  expect(await child.nextLine()).toBe('ready');
  return {
    async draw(exchangeId: string): Promise<string> {
      child.send(exchangeId);
      const answer = JSON.parse(await child.nextLine()) as { exchangeId: string; outcome: string };
      expect(answer.exchangeId).toBe(exchangeId);
      return answer.outcome;
    },
    stop: () => child.end(),
  };
}

describe('concurrent draws on one database file', () => {
  it('two connections drawing the same exchange give one draw and one already_drawn', async () => {
    const first = await databases.open();
    const second = await databases.reopen();
    const exchange = await first.createExchange(newExchangeRecord());
    await first.addParticipants(exchange.id, newParticipantRecords(exchange.id, 4));

    const outcomes = await Promise.allSettled([
      first.draw(exchange.id, isoNow(), drawInCircle),
      second.draw(exchange.id, isoNow(), drawInCircle),
    ]);

    expect(outcomes.filter(({ status }) => status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.find(({ status }) => status === 'rejected')).toMatchObject({ reason: { code: 'already_drawn' } });
    await Promise.all([first.close(), second.close()]);
  });

  it(
    `two processes drawing the same exchange at once give one draw and one already_drawn, ${ROUNDS} times over`,
    async () => {
      const setup = await databases.open();
      const exchangeIds: string[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const exchange = await setup.createExchange(newExchangeRecord());
        await setup.addParticipants(exchange.id, newParticipantRecords(exchange.id, PARTICIPANTS));
        exchangeIds.push(exchange.id);
      }
      await setup.close();

      const racers = await Promise.all([startRacer(databases.path), startRacer(databases.path)]);
      for (const exchangeId of exchangeIds) {
        const outcomes = await Promise.all(racers.map((racer) => racer.draw(exchangeId)));
        expect(outcomes.sort()).toEqual(['already_drawn', 'drawn']);
      }
      await Promise.all(racers.map((racer) => racer.stop()));

      const db = new Database(databases.path, { readonly: true });
      const stored = db
        .prepare(
          `SELECT e.status, count(a.giver_id) AS assignments
           FROM exchanges e LEFT JOIN assignments a ON a.exchange_id = e.id GROUP BY e.id ORDER BY e.id`,
        )
        .all();
      db.close();
      expect(stored).toEqual(exchangeIds.map(() => ({ status: 'drawn', assignments: PARTICIPANTS })));
    },
    60_000,
  );
});
