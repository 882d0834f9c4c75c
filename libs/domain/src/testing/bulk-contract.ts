import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  MissingReferenceError,
  TABLES,
  rowKey,
  type AssignmentRow,
  type BulkStore,
  type ExclusionRow,
  type TableName,
  type TableRowTypes,
} from '../bulk';
import { isoNow, newId } from '../ids';
import type { NewExchange, ParticipantRecord } from '../model';
import type { OutboxKind, OutboxMessageRecord, ParticipantLinkRecord } from '../outbox';
import type { ExchangeStore, IdempotencyRecord } from '../port';
import { hashSecret } from '../secrets';
import { drawInCircle, newExchangeRecord, newIdempotencyIntent, newParticipantRecord, newParticipantRecords } from './builders';
import { at, expectCounts, listAll, sortedExclusions } from './contract/support';

export type BulkCapableStore = ExchangeStore & BulkStore;

/** How the bulk contract suite gets stores of one adapter. */
export interface BulkStoreFactory {
  /**
   * A new, empty store at a location of its own. A test may open two and use both at
   * once (to copy one into the other).
   */
  open(): Promise<BulkCapableStore>;
  /** Called once after the suite, every store closed: removes whatever `open()` created. */
  cleanup(): Promise<void>;
}

type Tables = { [T in TableName]: TableRowTypes[T][] };

/** Rows of every table, built to cover what a copy must carry: nulls, decimals, hostile text, both statuses. */
function sampleTables(): Tables {
  const drawn = newExchangeRecord({
    name: 'Team "North", floor 2 — 🎄',
    budget: { amount: 19.99, currency: 'GBP' },
    rules: { singleCycle: true },
    status: 'drawn',
    drawnAt: at(60_000),
  });
  const undrawn = newExchangeRecord({ budget: null, exchangeDate: null });
  const empty = newExchangeRecord({ name: '=SUM(A1:A9)' });
  const hostile = ['', 'Socks, warm', 'Line one\nline two\r\n"quoted"', 'שלום 👋🏽', '+1 book', '@home'];
  const drawnParticipants = newParticipantRecords(drawn.id, 6).map((participant, index) => ({
    ...participant,
    wishlist: hostile[index],
    joinedAt: at(index),
  }));
  // Joined at the same instant: order then rests on the key alone.
  const openParticipants = newParticipantRecords(undrawn.id, 4, { joinedAt: at(5), wishlist: 'Tea' });
  openParticipants[0].wishlist = '';
  const [a, b, c] = drawnParticipants;
  const [d, e] = openParticipants;
  const exclusions: ExclusionRow[] = [
    { exchangeId: drawn.id, giverId: a.id, receiverId: c.id },
    { exchangeId: drawn.id, giverId: b.id, receiverId: a.id },
    { exchangeId: undrawn.id, giverId: e.id, receiverId: d.id },
  ];
  const assignments: AssignmentRow[] = drawnParticipants.map((giver, index) => ({
    exchangeId: drawn.id,
    giverId: giver.id,
    receiverId: drawnParticipants[(index + 1) % drawnParticipants.length].id,
  }));
  const idempotencyRecords: IdempotencyRecord[] = [201, 200, 201].map((status, index) => ({
    keyHash: hashSecret(`key ${newId()}`),
    requestHash: hashSecret(`request ${index}`),
    status,
    sealedBody: JSON.stringify({ answer: index, text: 'a, "b"\nc' }),
    createdAt: at(1_000 + index),
  }));
  const message = (participant: ParticipantRecord, kind: OutboxKind, fields: Partial<OutboxMessageRecord> = {}) => ({
    id: newId(),
    exchangeId: participant.exchangeId,
    participantId: participant.id,
    kind,
    status: 'pending' as const,
    createdAt: at(60_000),
    attempts: 0,
    nextAttemptAt: at(60_000),
    claimedUntil: null,
    lastError: null,
    sentAt: null,
    ...fields,
  });
  const outboxMessages: OutboxMessageRecord[] = [
    message(a, 'drawn', { status: 'sent', attempts: 1, sentAt: at(61_000) }),
    message(b, 'drawn', { attempts: 2, nextAttemptAt: at(70_000), lastError: 'connection refused, "twice"\nretrying' }),
    message(c, 'drawn', { attempts: 1, claimedUntil: at(90_000) }),
    message(d, 'reminder', { status: 'failed', attempts: 8, createdAt: at(5_000), nextAttemptAt: at(9_000), lastError: '550' }),
    message(e, 'reminder', { createdAt: at(5_000), nextAttemptAt: at(5_000) }),
  ];
  const participantLinks: ParticipantLinkRecord[] = [outboxMessages[0], outboxMessages[2]].map((sent) => ({
    tokenHash: hashSecret(`link ${newId()}`),
    exchangeId: sent.exchangeId,
    participantId: sent.participantId,
    messageId: sent.id,
    createdAt: at(60_500),
  }));
  return {
    exchanges: [drawn, undrawn, empty],
    participants: [...drawnParticipants, ...openParticipants],
    exclusions,
    assignments,
    idempotencyRecords,
    outboxMessages,
    participantLinks,
  };
}

/** A valid UUIDv7 that sorts before every id the builders make. */
function lowestId(): string {
  return `00000000-0000-7000-8000-${newId().slice(-12)}`;
}

function byKey<T extends TableName>(table: T, rows: TableRowTypes[T][]): TableRowTypes[T][] {
  return [...rows].sort((x, y) => {
    const [kx, ky] = [rowKey(table, x), rowKey(table, y)];
    return kx < ky ? -1 : kx > ky ? 1 : 0;
  });
}

/** Writes every table in `TABLES` order, each in an order other than its key order. */
async function writeAll(store: BulkStore, tables: Tables): Promise<void> {
  for (const table of TABLES) {
    const rows = [...tables[table]].reverse() as TableRowTypes[typeof table][];
    await expect(store.writeRows(table, rows)).resolves.toEqual({ written: rows.length, skipped: 0 });
  }
}

/** Every row of a table, read in pages of `limit`, checking that each page stays within it. */
async function readAll<T extends TableName>(store: BulkStore, table: T, limit = 2): Promise<TableRowTypes[T][]> {
  const rows: TableRowTypes[T][] = [];
  for (;;) {
    const last = rows.at(-1);
    const page = await store.readRows(table, last === undefined ? null : rowKey(table, last), limit);
    expect(page.length).toBeLessThanOrEqual(limit);
    rows.push(...page);
    if (page.length === 0) return rows;
  }
}

async function readTables(store: BulkStore): Promise<Tables> {
  const tables = {} as Record<TableName, unknown[]>;
  for (const table of TABLES) tables[table] = await readAll(store, table);
  return tables as Tables;
}

async function expectCountsOf(
  store: ExchangeStore,
  exchange: NewExchange,
  participantCount: number,
  wishlistCount: number,
  exclusionCount: number,
): Promise<void> {
  const counts = { participantCount, wishlistCount, exclusionCount };
  await expectCounts(store, { ...exchange, ...counts }, counts);
}

async function expectMissingReference(promise: Promise<unknown>, table: TableName, key: string): Promise<void> {
  const error = await promise.then(
    () => expect.fail(`expected MissingReferenceError for ${table} ${key}, but the write succeeded`),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MissingReferenceError);
  expect(error).toMatchObject({ table, key });
}

/**
 * Registers the contract of `BulkStore` (libs/domain/src/bulk.ts) as vitest tests:
 * key order and paging, counts, all-or-none writes that skip rows already present,
 * references, and that rows written in bulk are first-class for every read and write
 * of the `ExchangeStore` port. Run it beside `runStoreContract` for every adapter that
 * holds data.
 */
export function runBulkContract(name: string, factory: BulkStoreFactory): void {
  describe(`BulkStore contract: ${name}`, () => {
    const opened: BulkCapableStore[] = [];

    async function open(): Promise<BulkCapableStore> {
      const store = await factory.open();
      opened.push(store);
      return store;
    }

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });
    afterAll(() => factory.cleanup());

    it('names its kind and schema version', async () => {
      const store = await open();
      expect(await store.dataVersion()).toMatch(/^[a-z]+\/\d+$/);
    });

    it('starts empty', async () => {
      const store = await open();
      for (const table of TABLES) {
        expect(await store.countRows(table)).toBe(0);
        expect(await store.readRows(table, null, 10)).toEqual([]);
        expect(await store.lastRowKey(table)).toBeNull();
      }
    });

    it('reads back every row written, field for field, in key order, with counts and the last key', async () => {
      const store = await open();
      const tables = sampleTables();
      await writeAll(store, tables);

      for (const table of TABLES) {
        const expected = byKey(table, tables[table]);
        expect(await store.readRows(table, null, 100)).toEqual(expected);
        expect(await store.countRows(table)).toBe(expected.length);
        expect(await store.lastRowKey(table)).toBe(rowKey(table, expected[expected.length - 1]));
      }
    });

    it('pages without gaps or repeats at every page size, also after a key it does not hold', async () => {
      const store = await open();
      const tables = sampleTables();
      await writeAll(store, tables);

      for (const table of TABLES) {
        const expected = byKey(table, tables[table]);
        for (const limit of [1, 2, 3, 5]) expect(await readAll(store, table, limit)).toEqual(expected);
      }
      // A key no row has, after every participant of the first exchange and before those of the second.
      const [drawn] = tables.exchanges;
      const gap = rowKey('participants', newParticipantRecord(drawn.id));
      expect(await store.readRows('participants', gap, 100)).toEqual(
        byKey('participants', tables.participants).filter((row) => row.exchangeId !== drawn.id),
      );
      const beyond = await store.lastRowKey('participants');
      expect(await store.readRows('participants', beyond, 10)).toEqual([]);
    });

    it('never skips or repeats a row while rows are written between pages', async () => {
      const store = await open();
      const tables = sampleTables();
      await writeAll(store, tables);
      const [drawn, undrawn] = tables.exchanges;

      const seen: ParticipantRecord[] = await store.readRows('participants', null, 3);
      // Newcomers that sort before the cursor, just after it, and at the end.
      const newcomers = [
        newParticipantRecord(drawn.id, { id: lowestId() }),
        newParticipantRecord(drawn.id),
        newParticipantRecord(undrawn.id),
      ];
      await store.writeRows('participants', newcomers);
      for (;;) {
        const page = await store.readRows('participants', rowKey('participants', seen[seen.length - 1]), 3);
        if (page.length === 0) break;
        seen.push(...page);
      }

      const keys = seen.map((row) => rowKey('participants', row));
      expect(keys).toEqual([...keys].sort());
      expect(new Set(keys).size).toBe(keys.length);
      for (const row of tables.participants) expect(keys).toContain(rowKey('participants', row));
    });

    it('skips rows already present, so writing the same rows again changes nothing', async () => {
      const store = await open();
      const tables = sampleTables();
      await writeAll(store, tables);
      const before = await readTables(store);
      const [drawn, undrawn] = tables.exchanges;
      const [drawnBefore, openBefore] = await Promise.all([store.getExchange(drawn.id), store.getExchange(undrawn.id)]);

      for (const table of TABLES) {
        const rows = tables[table];
        expect(await store.writeRows(table, rows)).toEqual({ written: 0, skipped: rows.length });
      }
      const newcomer = newParticipantRecord(undrawn.id, { wishlist: 'Gloves' });
      expect(await store.writeRows('participants', [tables.participants[7], newcomer, newcomer])).toEqual({
        written: 1,
        skipped: 2,
      });
      expect(await store.writeRows('participants', [])).toEqual({ written: 0, skipped: 0 });
      // A row the port wrote counts as present too.
      const [joined] = await store.addParticipants(undrawn.id, [newParticipantRecord(undrawn.id)]);
      expect(await store.writeRows('participants', [joined])).toEqual({ written: 0, skipped: 1 });

      const after = await readTables(store);
      expect(after).toEqual({ ...before, participants: byKey('participants', [...before.participants, newcomer, joined]) });
      expect(await store.getExchange(drawn.id)).toEqual(drawnBefore);
      expect(await store.getExchange(undrawn.id)).toEqual({ ...openBefore, participantCount: 6, wishlistCount: 4 });
    });

    it('writes all of a batch or none of it', async () => {
      const store = await open();
      const tables = sampleTables();
      await store.writeRows('exchanges', tables.exchanges);
      const [drawn] = tables.exchanges;
      const valid = newParticipantRecords(drawn.id, 3);
      const orphan = newParticipantRecord(newId());

      await expectMissingReference(
        store.writeRows('participants', [...valid, orphan]),
        'participants',
        rowKey('participants', orphan),
      );

      expect(await store.countRows('participants')).toBe(0);
      expect(await store.readRows('participants', null, 10)).toEqual([]);
      await expectCountsOf(store, drawn, 0, 0, 0);
      await expect(store.writeRows('participants', valid)).resolves.toEqual({ written: 3, skipped: 0 });
    });

    it('refuses rows that refer to rows it does not have, or to a participant of another exchange', async () => {
      const store = await open();
      const tables = sampleTables();
      await writeAll(store, tables);
      const [drawn, undrawn] = tables.exchanges;
      const [ann, bob] = tables.participants;
      const stranger = tables.participants[6];
      const before = await readTables(store);

      const crossing: ExclusionRow = { exchangeId: drawn.id, giverId: ann.id, receiverId: stranger.id };
      await expectMissingReference(store.writeRows('exclusions', [crossing]), 'exclusions', rowKey('exclusions', crossing));
      const unknownGiver: ExclusionRow = { exchangeId: undrawn.id, giverId: newId(), receiverId: stranger.id };
      await expectMissingReference(
        store.writeRows('exclusions', [unknownGiver]),
        'exclusions',
        rowKey('exclusions', unknownGiver),
      );
      const unknownReceiver: AssignmentRow = { exchangeId: undrawn.id, giverId: stranger.id, receiverId: newId() };
      await expectMissingReference(
        store.writeRows('assignments', [unknownReceiver]),
        'assignments',
        rowKey('assignments', unknownReceiver),
      );
      const elsewhere: AssignmentRow = { exchangeId: undrawn.id, giverId: ann.id, receiverId: bob.id };
      await expectMissingReference(
        store.writeRows('assignments', [elsewhere]),
        'assignments',
        rowKey('assignments', elsewhere),
      );
      const misaddressed: OutboxMessageRecord = { ...tables.outboxMessages[0], id: newId(), exchangeId: undrawn.id };
      await expectMissingReference(
        store.writeRows('outboxMessages', [misaddressed]),
        'outboxMessages',
        rowKey('outboxMessages', misaddressed),
      );
      const unsent: ParticipantLinkRecord = { ...tables.participantLinks[0], tokenHash: hashSecret(newId()), messageId: newId() };
      await expectMissingReference(
        store.writeRows('participantLinks', [unsent]),
        'participantLinks',
        rowKey('participantLinks', unsent),
      );

      expect(await readTables(store)).toEqual(before);
    });

    it('keeps the derived counts exact, and the rows it wrote serve every write of the port', async () => {
      const store = await open();
      const tables = sampleTables();
      await writeAll(store, tables);
      const [drawn, undrawn, empty] = tables.exchanges;
      await expectCountsOf(store, drawn, 6, 5, 2);
      await expectCountsOf(store, undrawn, 4, 3, 1);
      await expectCountsOf(store, empty, 0, 0, 0);
      expect(await store.getExchange(drawn.id)).toEqual({
        ...drawn,
        participantCount: 6,
        wishlistCount: 5,
        exclusionCount: 2,
      });

      const [d, e, f] = tables.participants.slice(6);
      await store.updateWishlist(d.tokenHash, 'A scarf');
      await store.removeParticipant(undrawn.id, e.id);
      const [joined] = await store.addParticipants(undrawn.id, [newParticipantRecord(undrawn.id, { joinedAt: isoNow() })]);
      await expectCountsOf(store, undrawn, 4, 3, 0);
      expect(sortedExclusions(await store.listExclusions(undrawn.id))).toEqual([]);
      expect((await listAll(store, undrawn.id)).map((participant) => participant.id)).toEqual(
        [d.id, f.id, tables.participants[9].id].sort().concat(joined.id),
      );
      const redrawn = await store.draw(undrawn.id, at(90_000), drawInCircle);
      expect(redrawn).toMatchObject({ status: 'drawn', participantCount: 4 });
    });

    it('resolves the tokens of the rows it wrote, giftees included', async () => {
      const store = await open();
      const tables = sampleTables();
      await writeAll(store, tables);
      const [drawn, undrawn] = tables.exchanges;
      const drawnParticipants = tables.participants.slice(0, 6);

      for (const [index, participant] of drawnParticipants.entries()) {
        const giftee = drawnParticipants[(index + 1) % drawnParticipants.length];
        expect(await store.getMeView(participant.tokenHash)).toEqual({
          participant,
          exchange: { ...drawn, participantCount: 6, wishlistCount: 5, exclusionCount: 2 },
          giftee: { id: giftee.id, name: giftee.name, wishlist: giftee.wishlist },
        });
      }
      const waiting = tables.participants[6];
      expect(await store.getMeView(waiting.tokenHash)).toEqual({
        participant: waiting,
        exchange: { ...undrawn, participantCount: 4, wishlistCount: 3, exclusionCount: 1 },
        giftee: null,
      });
      expect(await store.getExchangeByOrganizerTokenHash(undrawn.organizerTokenHash)).toMatchObject({ id: undrawn.id });
      for (const link of tables.participantLinks) {
        const owner = tables.participants.find((participant) => participant.id === link.participantId);
        expect(await store.getMeView(link.tokenHash)).toEqual(await store.getMeView(owner?.tokenHash ?? ''));
      }
      expect(await store.countOutboxMessages()).toEqual({ pending: 3, failed: 1 });
    });

    it('answers the idempotency records it wrote', async () => {
      const store = await open();
      const tables = sampleTables();
      await writeAll(store, tables);

      for (const record of tables.idempotencyRecords) {
        expect(await store.getIdempotencyRecord(record.keyHash, record.createdAt)).toEqual(record);
      }
      expect(await store.purgeIdempotencyRecords(at(1_001))).toBe(1);
      expect(await store.countRows('idempotencyRecords')).toBe(2);
    });

    it('copies a store written through the port into another, row for row, and the copy answers the same', async () => {
      const source = await open();
      const created = await source.createExchange(newExchangeRecord(), newIdempotencyIntent({ createdAt: at(1) }));
      const joined = await source.addParticipants(
        created.id,
        newParticipantRecords(created.id, 5).map((participant, index) => ({ ...participant, wishlist: index % 2 ? 'Tea' : '' })),
        newIdempotencyIntent({ createdAt: at(2) }),
      );
      await source.replaceExclusions(created.id, [
        { giverId: joined[0].id, receiverId: joined[1].id },
        { giverId: joined[3].id, receiverId: joined[2].id },
      ]);
      await source.draw(created.id, at(3), drawInCircle);
      await source.updateWishlist(joined[4].tokenHash, 'Socks');
      const waiting = await source.createExchange(newExchangeRecord());
      await source.addParticipants(waiting.id, newParticipantRecords(waiting.id, 2));
      await source.queueReminders(waiting.id, at(4));
      const [sent, failed] = await source.claimOutboxMessages({
        now: at(5),
        leaseUntil: at(30_000),
        linkTokenHashes: [hashSecret(`link ${newId()}`), hashSecret(`link ${newId()}`), hashSecret(`link ${newId()}`)],
      });
      await source.completeOutboxMessage(sent.message.id, at(6));
      await source.failOutboxMessage(failed.message.id, { linkTokenHash: failed.linkTokenHash, error: 'timeout', retryAt: at(60_000) });

      const rows = await readTables(source);
      expect(rows.assignments).toHaveLength(5);
      expect(rows.idempotencyRecords).toHaveLength(2);
      expect(rows.outboxMessages).toHaveLength(7);
      expect(rows.participantLinks).toHaveLength(2);
      const target = await open();
      for (const table of TABLES) await target.writeRows(table, rows[table]);

      expect(await readTables(target)).toEqual(rows);
      for (const participant of rows.participants) {
        expect(await target.getMeView(participant.tokenHash)).toEqual(await source.getMeView(participant.tokenHash));
      }
      for (const exchange of rows.exchanges) {
        expect(await target.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash)).toEqual(
          await source.getExchange(exchange.id),
        );
        expect(sortedExclusions(await target.listExclusions(exchange.id))).toEqual(
          sortedExclusions(await source.listExclusions(exchange.id)),
        );
        expect(await listAll(target, exchange.id)).toEqual(await listAll(source, exchange.id));
      }
      for (const record of rows.idempotencyRecords) {
        expect(await target.getIdempotencyRecord(record.keyHash, record.createdAt)).toEqual(record);
      }
      for (const link of rows.participantLinks) {
        expect(await target.getMeView(link.tokenHash)).toEqual(await source.getMeView(link.tokenHash));
      }
      expect(await target.countOutboxMessages()).toEqual(await source.countOutboxMessages());
    });
  });
}
