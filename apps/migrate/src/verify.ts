import { createHash } from 'node:crypto';
import { TABLES, rowKey, type BulkStore, type TableName, type TableRowTypes } from '@santa/domain';
import { DEFAULT_BATCH_SIZE } from './copy';
import { silentProgress, type ProgressSink } from './progress';

/** Each object shape's keys, sorted: rows of one table share a few shapes, so sorting happens once per shape. */
const sortedKeysOfShape = new Map<string, string[]>();

/**
 * JSON with every object's keys in sorted order, so that the same row gives the same
 * text whichever store it was read from and whatever order that store built it in.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const shape = keys.join('\u0000');
  let sorted = sortedKeysOfShape.get(shape);
  if (sorted === undefined) {
    sorted = [...keys].sort();
    sortedKeysOfShape.set(shape, sorted);
  }
  let text = '';
  for (const key of sorted) {
    const field = record[key];
    if (field === undefined) continue;
    text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(field)}`;
  }
  return `{${text}}`;
}

/** Reads a table page by page in key order, one page ahead of its reader. */
class RowCursor<T extends TableName> {
  private page: TableRowTypes[T][] = [];
  private index = 0;
  private next: Promise<TableRowTypes[T][]> | null;

  constructor(
    private readonly store: BulkStore,
    private readonly table: T,
    private readonly batchSize: number,
  ) {
    this.next = this.read(null);
  }

  /** The current row, or undefined after the last one. */
  async current(): Promise<TableRowTypes[T] | undefined> {
    while (this.index >= this.page.length) {
      if (this.next === null) return undefined;
      this.page = await this.next;
      this.index = 0;
      const last = this.page[this.page.length - 1];
      this.next = this.page.length < this.batchSize || last === undefined ? null : this.read(rowKey(this.table, last));
    }
    return this.page[this.index];
  }

  advance(): void {
    this.index += 1;
  }

  private read(afterKey: string | null): Promise<TableRowTypes[T][]> {
    const page = this.store.readRows(this.table, afterKey, this.batchSize);
    page.catch(() => undefined);
    return page;
  }
}

export interface Difference {
  table: TableName;
  key: string;
  /** What differs: the row is only in the source, only in the target, or these fields differ. */
  kind: 'missing in target' | 'only in target' | 'differs';
  fields?: string[];
}

export interface TableComparison {
  rows: { source: number; target: number };
  /** SHA-256 over each row's canonical JSON and a newline, in key order. */
  checksum: { source: string; target: string };
  firstDifference: Difference | null;
}

export interface Comparison {
  tables: Record<TableName, TableComparison>;
  /** The first difference of the first table that has one, or null when the stores hold the same rows. */
  firstDifference: Difference | null;
  seconds: number;
}

export interface VerifyOptions {
  batchSize?: number;
  progress?: ProgressSink;
}

/**
 * Reads every table of both stores side by side in key order: counts the rows,
 * hashes each side's canonical rows the same way, and finds the first key where the
 * two differ (a row missing, a row too many, or a field that differs).
 */
export async function compareStores(source: BulkStore, target: BulkStore, options: VerifyOptions = {}): Promise<Comparison> {
  const started = performance.now();
  const tables = {} as Record<TableName, TableComparison>;
  let firstDifference: Difference | null = null;
  for (const table of TABLES) {
    tables[table] = await compareTable(source, target, table, options);
    firstDifference ??= tables[table].firstDifference;
  }
  return { tables, firstDifference, seconds: (performance.now() - started) / 1000 };
}

async function compareTable<T extends TableName>(
  source: BulkStore,
  target: BulkStore,
  table: T,
  options: VerifyOptions,
): Promise<TableComparison> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const progress = options.progress ?? silentProgress;
  progress.begin('verify', table);
  progress.expect(await source.countRows(table));
  const sides = {
    source: { cursor: new RowCursor(source, table, batchSize), hash: createHash('sha256'), rows: 0 },
    target: { cursor: new RowCursor(target, table, batchSize), hash: createHash('sha256'), rows: 0 },
  };
  let firstDifference: Difference | null = null;
  const take = (side: typeof sides.source, text: string) => {
    side.hash.update(text).update('\n');
    side.rows += 1;
    side.cursor.advance();
  };

  for (;;) {
    const [ours, theirs] = await Promise.all([sides.source.cursor.current(), sides.target.cursor.current()]);
    if (ours === undefined && theirs === undefined) break;
    const ourKey = ours === undefined ? null : rowKey(table, ours);
    const theirKey = theirs === undefined ? null : rowKey(table, theirs);
    if (ourKey !== null && (theirKey === null || ourKey < theirKey)) {
      firstDifference ??= { table, key: ourKey, kind: 'missing in target' };
      take(sides.source, canonicalJson(ours));
      progress.advance(1);
    } else if (theirKey !== null && (ourKey === null || theirKey < ourKey)) {
      firstDifference ??= { table, key: theirKey, kind: 'only in target' };
      take(sides.target, canonicalJson(theirs));
    } else {
      const [ourText, theirText] = [canonicalJson(ours), canonicalJson(theirs)];
      if (ourText !== theirText) {
        firstDifference ??= { table, key: ourKey as string, kind: 'differs', fields: differingFields(ours, theirs) };
      }
      take(sides.source, ourText);
      take(sides.target, theirText);
      progress.advance(1);
    }
  }
  progress.end();
  return {
    rows: { source: sides.source.rows, target: sides.target.rows },
    checksum: { source: sides.source.hash.digest('hex'), target: sides.target.hash.digest('hex') },
    firstDifference,
  };
}

/** The names of the fields whose values differ; values are not shown, as they may be personal data. */
function differingFields(a: unknown, b: unknown): string[] {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const names = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  return names.filter((name) => canonicalJson(left[name]) !== canonicalJson(right[name]));
}

export interface AssignmentAudit {
  drawnExchanges: number;
  assignments: number;
  /** The first broken rule found, or null when every assignment is intact. */
  problem: string | null;
  seconds: number;
}

/**
 * Checks every draw in a store: in each drawn exchange every participant gives to
 * exactly one other participant of the exchange and receives from exactly one (the
 * assignments are a permutation without fixed points); an open exchange has none; no
 * participant or assignment belongs to an exchange that is not there. Participants
 * and assignments are both keyed by exchange first, so one pass over each, side by
 * side, sees each exchange's rows together.
 */
export async function auditAssignments(store: BulkStore, options: VerifyOptions = {}): Promise<AssignmentAudit> {
  const started = performance.now();
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const progress = options.progress ?? silentProgress;
  const participants = new RowCursor(store, 'participants', batchSize);
  const assignments = new RowCursor(store, 'assignments', batchSize);
  const exchanges = new RowCursor(store, 'exchanges', batchSize);
  const audit: AssignmentAudit = { drawnExchanges: 0, assignments: 0, problem: null, seconds: 0 };
  const finish = (problem: string | null) => {
    progress.end();
    return { ...audit, problem, seconds: (performance.now() - started) / 1000 };
  };
  progress.begin('audit', 'assignments');
  progress.expect(await store.countRows('assignments'));

  for (let exchange = await exchanges.current(); exchange !== undefined; exchange = await exchanges.current()) {
    exchanges.advance();
    const members = new Set<string>();
    for (let row = await participants.current(); row !== undefined && row.exchangeId <= exchange.id; row = await participants.current()) {
      if (row.exchangeId < exchange.id) return finish(`participant ${rowKey('participants', row)} belongs to no exchange`);
      members.add(row.id);
      participants.advance();
    }
    const givers = new Set<string>();
    const receivers = new Set<string>();
    for (let row = await assignments.current(); row !== undefined && row.exchangeId <= exchange.id; row = await assignments.current()) {
      const key = rowKey('assignments', row);
      if (row.exchangeId < exchange.id) return finish(`assignment ${key} belongs to no exchange`);
      if (exchange.status !== 'drawn') return finish(`exchange ${exchange.id} is open but has assignment ${key}`);
      if (!members.has(row.giverId) || !members.has(row.receiverId)) {
        return finish(`assignment ${key} names somebody who is not a participant of the exchange`);
      }
      if (row.giverId === row.receiverId) return finish(`assignment ${key} gives to the giver`);
      if (receivers.has(row.receiverId)) return finish(`in exchange ${exchange.id}, ${row.receiverId} receives twice`);
      givers.add(row.giverId);
      receivers.add(row.receiverId);
      assignments.advance();
      progress.advance(1);
    }
    if (exchange.status === 'drawn') {
      if (givers.size !== members.size) {
        return finish(`drawn exchange ${exchange.id} has ${members.size} participants but ${givers.size} assignments`);
      }
      audit.drawnExchanges += 1;
      audit.assignments += givers.size;
    }
  }
  const strayParticipant = await participants.current();
  if (strayParticipant) return finish(`participant ${rowKey('participants', strayParticipant)} belongs to no exchange`);
  const strayAssignment = await assignments.current();
  if (strayAssignment) return finish(`assignment ${rowKey('assignments', strayAssignment)} belongs to no exchange`);
  return finish(null);
}
