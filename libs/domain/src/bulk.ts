import type { IdempotencyRecord } from './port';
import type { NewExchange, ParticipantRecord } from './model';
import type { OutboxMessageRecord, ParticipantLinkRecord } from './outbox';

/**
 * Whole tables as every store keeps them, for moving data between stores (the
 * migration tool) and for loading generated datasets (the benchmarks). These are
 * raw rows: token hashes, assignments and sealed idempotency responses included;
 * counts are derived by each store and never copied.
 */

export interface ExclusionRow {
  exchangeId: string;
  giverId: string;
  receiverId: string;
}

export interface AssignmentRow {
  exchangeId: string;
  giverId: string;
  receiverId: string;
}

export interface TableRowTypes {
  exchanges: NewExchange;
  participants: ParticipantRecord;
  exclusions: ExclusionRow;
  assignments: AssignmentRow;
  idempotencyRecords: IdempotencyRecord;
  outboxMessages: OutboxMessageRecord;
  participantLinks: ParticipantLinkRecord;
}

export type TableName = keyof TableRowTypes;

/** In an order where every row refers only to rows of earlier tables. */
export const TABLES: readonly TableName[] = [
  'exchanges',
  'participants',
  'exclusions',
  'assignments',
  'idempotencyRecords',
  'outboxMessages',
  'participantLinks',
];

/**
 * The primary key of a row as one string, its columns joined by `/`. Ids are
 * fixed-length lower-case UUIDs and hashes are lower-case hex, so comparing these
 * strings by code unit orders rows exactly as comparing the key columns one by one
 * does. Participants are keyed by their exchange first, as PostgreSQL's primary key
 * is: the participants, exclusions and assignments of one exchange are then adjacent
 * in key order, so a reader can check an exchange's rows together while streaming.
 */
export function rowKey<T extends TableName>(table: T, row: TableRowTypes[T]): string {
  switch (table) {
    case 'exchanges':
      return (row as NewExchange).id;
    case 'participants': {
      const participant = row as ParticipantRecord;
      return `${participant.exchangeId}/${participant.id}`;
    }
    case 'exclusions': {
      const exclusion = row as ExclusionRow;
      return `${exclusion.exchangeId}/${exclusion.giverId}/${exclusion.receiverId}`;
    }
    case 'assignments': {
      const assignment = row as AssignmentRow;
      return `${assignment.exchangeId}/${assignment.giverId}`;
    }
    case 'idempotencyRecords':
      return (row as IdempotencyRecord).keyHash;
    case 'outboxMessages':
      return (row as OutboxMessageRecord).id;
    case 'participantLinks':
      return (row as ParticipantLinkRecord).tokenHash;
    default:
      throw new Error(`unknown table ${String(table)}`);
  }
}

/** A copy of a row that shares no object with it. */
export function copyRow<T extends TableName>(table: T, row: TableRowTypes[T]): TableRowTypes[T] {
  if (table !== 'exchanges') return { ...row };
  const exchange = row as NewExchange;
  return { ...exchange, budget: exchange.budget && { ...exchange.budget }, rules: { ...exchange.rules } } as TableRowTypes[T];
}

/** The key columns' values of a key made by `rowKey`, in order. */
export function keyParts(key: string): string[] {
  return key.split('/');
}

/** Implemented by every store that holds data of its own, next to `ExchangeStore`. */
export interface BulkStore {
  /** Names the store's kind and schema version, e.g. `sqlite/3`; a migration checks it. */
  dataVersion(): Promise<string>;
  countRows(table: TableName): Promise<number>;
  /**
   * Rows in ascending `rowKey` order, strictly after `afterKey` (from the start when
   * null), at most `limit`. Pages read this way never skip or repeat a row that is
   * not written meanwhile.
   */
  readRows<T extends TableName>(table: T, afterKey: string | null, limit: number): Promise<TableRowTypes[T][]>;
  /**
   * The greatest `rowKey` of the table, or null when it is empty: where a copy that
   * writes in key order and was interrupted carries on.
   */
  lastRowKey(table: TableName): Promise<string | null>;
  /**
   * Writes rows as they are, all or none per call. A row whose key is already
   * present is left alone and counted as skipped, so writing the same rows again is
   * safe. Rows may refer only to rows already written (write tables in `TABLES`
   * order): a row that refers to a missing one fails the call with
   * `MissingReferenceError` (a participant to its exchange; an exclusion, an
   * assignment or an outbox message to a participant of its exchange; a link to its
   * outbox message). Derived data (the exchange counts) stays exact. Contract
   * limits (names, participants per exchange) are the writer's responsibility: this
   * is a raw copy.
   */
  writeRows<T extends TableName>(table: T, rows: TableRowTypes[T][]): Promise<{ written: number; skipped: number }>;
}

/**
 * A row given to `writeRows` refers to a row the store does not have: a participant
 * to its exchange, an exclusion, an assignment or an outbox message to a participant
 * of its exchange, a participant link to its outbox message.
 * Nothing of the call was written.
 */
export class MissingReferenceError extends Error {
  override readonly name = 'MissingReferenceError';
  constructor(
    readonly table: TableName,
    /** The `rowKey` of the row that refers. */
    readonly key: string,
    /** What is missing, e.g. `exchange <id>` or `participant <exchangeId>/<id>`. */
    readonly missing: string,
  ) {
    super(`${table} row ${key} refers to ${missing}, which the store does not have; nothing of this batch was written.`);
  }
}

export function isBulkStore(store: object): store is BulkStore {
  const candidate = store as Partial<BulkStore>;
  return (
    typeof candidate.dataVersion === 'function' &&
    typeof candidate.countRows === 'function' &&
    typeof candidate.readRows === 'function' &&
    typeof candidate.lastRowKey === 'function' &&
    typeof candidate.writeRows === 'function'
  );
}

/**
 * One table's rows sorted by key, for stores that page through a table they hold in
 * memory (the memory store, the CSV store's parsed files).
 */
export class SortedTable<T extends TableName> {
  private constructor(
    readonly keys: readonly string[],
    private readonly rows: readonly TableRowTypes[T][],
  ) {}

  static of<T extends TableName>(table: T, rows: Iterable<TableRowTypes[T]>): SortedTable<T> {
    const keyed = Array.from(rows, (row) => ({ key: rowKey(table, row), row }));
    keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return new SortedTable(
      keyed.map(({ key }) => key),
      keyed.map(({ row }) => row),
    );
  }

  get size(): number {
    return this.rows.length;
  }

  get lastKey(): string | null {
    return this.keys.at(-1) ?? null;
  }

  /** At most `limit` rows with a key greater than `afterKey` (from the first without one), in key order. */
  page(afterKey: string | null, limit: number): TableRowTypes[T][] {
    const start = afterKey === null ? 0 : this.firstAfter(afterKey);
    return this.rows.slice(start, start + Math.max(0, limit));
  }

  private firstAfter(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.keys[middle] <= key) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
