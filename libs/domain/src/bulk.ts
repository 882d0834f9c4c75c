import type { IdempotencyRecord } from './port';
import type { NewExchange, ParticipantRecord } from './model';

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
}

export type TableName = keyof TableRowTypes;

/** In an order where every row refers only to rows of earlier tables. */
export const TABLES: readonly TableName[] = ['exchanges', 'participants', 'exclusions', 'assignments', 'idempotencyRecords'];

/**
 * The primary key of a row as one string. Ids are fixed-length lower-case UUIDs and
 * hashes are lower-case hex, so comparing these strings by code unit orders rows
 * exactly as comparing the key columns one by one does.
 */
export function rowKey<T extends TableName>(table: T, row: TableRowTypes[T]): string {
  switch (table) {
    case 'exchanges':
    case 'participants':
      return (row as NewExchange | ParticipantRecord).id;
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
    default:
      throw new Error(`unknown table ${String(table)}`);
  }
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
   * Writes rows as they are, all or none per call. A row whose key is already
   * present is left alone and counted as skipped, so writing the same rows again is
   * safe. Rows may refer only to rows already written (write tables in `TABLES`
   * order). Derived data (the exchange counts) stays exact. Contract limits (names,
   * participants per exchange) are the writer's responsibility: this is a raw copy.
   */
  writeRows<T extends TableName>(table: T, rows: TableRowTypes[T][]): Promise<{ written: number; skipped: number }>;
}
