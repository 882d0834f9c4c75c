import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES, hashSecret, isoNow, newParticipantToken, type TableName } from '@santa/domain';
import { newExchangeRecord, newIdempotencyIntent, newParticipantRecords } from '@santa/domain/testing';
import { startPostgres, type RunningPostgres } from '@santa/services';
import { openCsvStore } from '@santa/store-csv';
import { openSqliteStore } from '@santa/store-sqlite';
import type { Location, StageName } from './locations';
import { migrate, MigrationRefusedError, VerificationError, type MigrationReport } from './migrate';
import { createDatabase, csvDataset } from './test-support';

let server: RunningPostgres;
let root: string;
let databases = 0;

beforeAll(async () => {
  [server, root] = await Promise.all([startPostgres(), mkdtemp(join(tmpdir(), 'santa-migrate-'))]);
});
afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

const at = (stage: StageName, name: string): Location => ({ stage, place: join(root, name) });

function newDatabase(): Location {
  databases += 1;
  return { stage: '03-postgres', place: createDatabase(server, `roundtrip_${databases}`) };
}

function checksums(report: MigrationReport): Record<TableName, string> {
  const comparison = report.comparison;
  if (!comparison) throw new Error('no comparison in the report');
  return Object.fromEntries(TABLES.map((table) => [table, comparison.tables[table].checksum.target])) as Record<TableName, string>;
}

/**
 * Writes idempotency records, a just-joined, undrawn exchange and its reminders through
 * the port, as a running stage would: two sent with their links, one failed, one waiting.
 */
async function addPortWrites(dataDir: string): Promise<void> {
  const store = await openCsvStore({ dataDir });
  try {
    const exchange = await store.createExchange(newExchangeRecord(), newIdempotencyIntent());
    const [ann, bob] = await store.addParticipants(exchange.id, newParticipantRecords(exchange.id, 4), newIdempotencyIntent());
    await store.replaceExclusions(exchange.id, [{ giverId: ann.id, receiverId: bob.id }]);
    const now = isoNow();
    await store.queueReminders(exchange.id, now);
    const [first, second, failed] = await store.claimOutboxMessages({
      now,
      leaseUntil: now,
      linkTokenHashes: [newParticipantToken(), newParticipantToken(), newParticipantToken()].map(hashSecret),
    });
    for (const sent of [first, second]) await store.completeOutboxMessage(sent.message.id, now);
    await store.failOutboxMessage(failed.message.id, { linkTokenHash: failed.linkTokenHash, error: 'timeout', retryAt: null });
  } finally {
    await store.close();
  }
}

describe('migrating between stages', () => {
  it('goes 01-csv -> 02-sqlite -> 03-postgres -> 02-sqlite -> 01-csv, verified at every hop, and ends where it began', async () => {
    const first = at('01-csv', 'csv-first');
    await csvDataset(first.place, { seed: 7, participants: 5_000, drawnRate: 0.8, exclusionRate: 0.2 });
    await addPortWrites(first.place);
    const last = at('01-csv', 'csv-last');
    const route = [first, at('02-sqlite', 'sqlite-first'), newDatabase(), at('02-sqlite', 'sqlite-last'), last];

    const seen: Record<TableName, string>[] = [];
    for (let hop = 1; hop < route.length; hop += 1) {
      const report = await migrate({ from: route[hop - 1], to: route[hop], batchSize: 700 });

      expect(report.comparison?.firstDifference).toBeNull();
      expect(report.audit?.problem).toBeNull();
      expect(report.audit?.drawnExchanges).toBeGreaterThan(30);
      for (const table of TABLES) {
        const { rows } = report.comparison?.tables[table] ?? { rows: { source: -1, target: -2 } };
        expect(rows.target).toBe(rows.source);
        expect(report.copy?.tables[table].written).toBe(rows.source);
      }
      seen.push(checksums(report));
    }

    const roundTrip = await migrate({ from: first, to: last, mode: 'verify-only' });
    expect(roundTrip.comparison?.firstDifference).toBeNull();
    for (const table of TABLES) expect(roundTrip.comparison?.tables[table].rows.source).toBeGreaterThan(1);
    // Every store, whatever its kind, hashed its rows to the same checksums.
    for (const hop of seen) expect(hop).toEqual(checksums(roundTrip));
  });

  it('refuses a target that holds rows, and --resume on a finished copy writes nothing and verifies', async () => {
    const source = at('01-csv', 'csv-small');
    await csvDataset(source.place, { seed: 3, participants: 300 });
    const target = newDatabase();
    await migrate({ from: source, to: target });

    const again = migrate({ from: source, to: target });
    await expect(again).rejects.toBeInstanceOf(MigrationRefusedError);
    await expect(again).rejects.toThrow(/is not empty \(exchanges: 3 rows\)\. Pass --resume/);

    const resumed = await migrate({ from: source, to: target, resume: true });
    for (const table of TABLES) expect(resumed.copy?.tables[table]).toMatchObject({ rows: 0, written: 0 });
    expect(resumed.comparison?.firstDifference).toBeNull();
  });

  it('says in a dry run what would move, and creates nothing', async () => {
    const source = at('01-csv', 'csv-dry');
    await csvDataset(source.place, { seed: 4, participants: 250 });
    const target = at('02-sqlite', 'sqlite-dry');

    const report = await migrate({ from: source, to: target, mode: 'dry-run' });

    expect(report.plan?.refusal).toBeNull();
    expect(report.plan?.tables.participants).toEqual({ source: 250, target: 0, toCopy: 250 });
    expect(report.to.dataVersion).toBeNull();
    expect(existsSync(target.place)).toBe(false);

    await migrate({ from: source, to: target });
    const second = await migrate({ from: source, to: target, mode: 'dry-run' });
    expect(second.plan?.refusal).toMatch(/not empty .* without --resume/);
  });

  it('finds a row that differs, names its table and key, and which fields', async () => {
    const source = at('01-csv', 'csv-differs');
    await csvDataset(source.place, { seed: 5, participants: 200 });
    const target = at('02-sqlite', 'sqlite-differs');
    await migrate({ from: source, to: target });
    const changed = openSqliteStore({ path: join(target.place, 'santa.sqlite') });
    const [participant] = await changed.readRows('participants', null, 1);
    await changed.updateWishlist(participant.tokenHash, 'Changed after the migration');
    await changed.close();

    const failure = await migrate({ from: source, to: target, mode: 'verify-only' }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(VerificationError);
    expect((failure as Error).message).toBe(
      `verification failed: participants differ first at key ${participant.exchangeId}/${participant.id}: differs (wishlist)`,
    );
    expect((failure as VerificationError).report.comparison?.tables.participants.checksum.source).not.toBe(
      (failure as VerificationError).report.comparison?.tables.participants.checksum.target,
    );
  });
});
