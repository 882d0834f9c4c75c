import { describe, expect, it } from 'vitest';
import { TABLES, rowKey, type AssignmentRow, type BulkStore, type TableName, type TableRowTypes } from '@santa/domain';
import { loadDataset, type DatasetOptions } from '@santa/dataset';
import { newParticipantRecord } from '@santa/domain/testing';
import { createMemoryStore, type MemoryStore } from '@santa/store-memory';
import { copyTables } from './copy';
import { auditAssignments, canonicalJson, compareStores } from './verify';

async function seeded(options: Partial<DatasetOptions> = {}): Promise<MemoryStore> {
  const store = createMemoryStore();
  await loadDataset(store, { seed: 11, participants: options.participants ?? 60, participantsPerExchange: 20, ...options });
  return store;
}

async function copyOf(source: BulkStore): Promise<MemoryStore> {
  const target = createMemoryStore();
  await copyTables(source, target, { batchSize: 7 });
  return target;
}

/** A store like `source` where `change` has been applied to its copy of one table's rows. */
async function alteredCopy<T extends TableName>(
  source: BulkStore,
  table: T,
  change: (rows: TableRowTypes[T][]) => TableRowTypes[T][],
): Promise<MemoryStore> {
  const target = createMemoryStore();
  for (const name of TABLES) {
    const rows = await source.readRows(name, null, 10_000);
    // Written as they are: the memory store checks references, not draws.
    await target.writeRows(name, name === table ? change(rows as TableRowTypes[T][]) : rows);
  }
  return target;
}

describe('canonical JSON', () => {
  it('is the same text whatever order the fields were set in, at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: null, e: 'x' }], c: true } })).toBe(
      canonicalJson({ a: { c: true, d: [2, { e: 'x', f: null }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 'é "quoted"\n' })).toBe('{"a":"é \\"quoted\\"\\n","b":1}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });
});

describe('comparing two stores', () => {
  it('finds them equal, row by row, with equal counts and checksums, after a copy in small batches', async () => {
    const source = await seeded();
    const target = await copyOf(source);

    const comparison = await compareStores(source, target, { batchSize: 5 });

    expect(comparison.firstDifference).toBeNull();
    for (const table of TABLES) {
      const { rows, checksum } = comparison.tables[table];
      expect(rows.target).toBe(rows.source);
      expect(checksum.target).toBe(checksum.source);
    }
    expect(comparison.tables.participants.rows.source).toBe(60);
  });

  it('names the first key of a row missing from the target', async () => {
    // Nobody refers to a participant of an undrawn exchange without exclusions, so one can be left out.
    const source = await seeded({ drawnRate: 0, exclusionRate: 0 });
    const missing = (await source.readRows('participants', null, 100))[30];
    const partial = await alteredCopy(source, 'participants', (rows) => rows.filter((_, index) => index !== 30));

    const comparison = await compareStores(source, partial, { batchSize: 4 });
    expect(comparison.firstDifference).toEqual({
      table: 'participants',
      key: rowKey('participants', missing),
      kind: 'missing in target',
    });
    expect(comparison.tables.participants.rows).toEqual({ source: 60, target: 59 });
  });

  it('names a row only the target has, and the fields of a row that differs', async () => {
    const source = await seeded();
    const [exchange] = await source.readRows('exchanges', null, 1);
    const extra = newParticipantRecord(exchange.id);
    const withExtra = await alteredCopy(source, 'participants', (rows) => [...rows, extra]);
    const renamed = await alteredCopy(source, 'exchanges', (rows) =>
      rows.map((row, index) => (index === 1 ? { ...row, name: 'Renamed', budget: null } : row)),
    );

    expect((await compareStores(source, withExtra)).firstDifference).toEqual({
      table: 'participants',
      key: rowKey('participants', extra),
      kind: 'only in target',
    });
    const [, second] = await source.readRows('exchanges', null, 2);
    expect((await compareStores(source, renamed)).firstDifference).toEqual({
      table: 'exchanges',
      key: second.id,
      kind: 'differs',
      fields: ['budget', 'name'],
    });
  });
});

describe('auditing the draws', () => {
  it('finds every drawn exchange a permutation of its participants, and open ones without assignments', async () => {
    const store = await seeded({ participants: 100, drawnRate: 0.5 });
    const drawn = (await store.readRows('exchanges', null, 100)).filter((exchange) => exchange.status === 'drawn');

    const audit = await auditAssignments(store, { batchSize: 6 });

    expect(audit).toMatchObject({ problem: null, drawnExchanges: drawn.length, assignments: drawn.length * 20 });
  });

  /** Another assignment of the first exchange whose giver is not the first one's receiver. */
  const secondOf = (rows: AssignmentRow[]) =>
    rows.findIndex((row, index) => index > 0 && row.exchangeId === rows[0].exchangeId && row.giverId !== rows[0].receiverId);

  const breakages: Array<{ broken: string; problem: RegExp; change(rows: AssignmentRow[]): AssignmentRow[] }> = [
    { broken: 'a giver without an assignment', problem: /has 20 participants but 19 assignments/, change: (rows) => rows.slice(1) },
    {
      broken: 'a receiver who receives twice',
      problem: /receives twice/,
      change: (rows) => rows.with(secondOf(rows), { ...rows[secondOf(rows)], receiverId: rows[0].receiverId }),
    },
    {
      broken: 'a giver who gives to themselves',
      problem: /gives to the giver/,
      change: (rows) => rows.with(2, { ...rows[2], receiverId: rows[2].giverId }),
    },
    {
      broken: 'an exchange drawn without its draw',
      problem: /has 20 participants but 0 assignments/,
      change: (rows) => rows.filter((row) => row.exchangeId !== rows[0].exchangeId),
    },
  ];

  it.each(breakages)('reports $broken', async ({ change, problem }) => {
    const store = await seeded();
    const broken = await alteredCopy(store, 'assignments', change);

    expect((await auditAssignments(broken)).problem).toMatch(problem);
  });
});

describe('copying', () => {
  it('carries on after the target last key of each table when resuming, and ends with the same rows', async () => {
    const source = await seeded({ participants: 80 });
    const target = createMemoryStore();
    // A run killed in the middle of the participants: the exchanges and a prefix of them are there.
    for (const table of ['exchanges', 'participants'] as const) {
      const rows = await source.readRows(table, null, 10_000);
      await target.writeRows(table, table === 'participants' ? rows.slice(0, 33) : rows);
    }

    const report = await copyTables(source, target, { batchSize: 10, resume: true });

    expect(report.tables.exchanges).toMatchObject({ rows: 0, written: 0 });
    expect(report.tables.participants).toMatchObject({ rows: 47, written: 47, skipped: 0 });
    const lastWritten = (await source.readRows('participants', null, 33))[32];
    expect(report.tables.participants.resumedAfter).toBe(rowKey('participants', lastWritten));
    expect((await compareStores(source, target)).firstDifference).toBeNull();
  });
});
