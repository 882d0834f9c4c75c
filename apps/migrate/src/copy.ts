import { TABLES, rowKey, type BulkStore, type TableName, type TableRowTypes } from '@santa/domain';
import { silentProgress, type ProgressSink } from './progress';

export interface CopyOptions {
  /** Rows per read and per write. */
  batchSize?: number;
  /**
   * Carry on after an interrupted copy: each table continues after the greatest key
   * the target holds. Without it, every table is copied from its first row.
   */
  resume?: boolean;
  progress?: ProgressSink;
}

export interface TableCopy {
  /** Rows read from the source by this run. */
  rows: number;
  written: number;
  skipped: number;
  /** Where this run started: the target's last key when resuming, else null. */
  resumedAfter: string | null;
  seconds: number;
}

export type CopyReport = { tables: Record<TableName, TableCopy>; seconds: number };

export const DEFAULT_BATCH_SIZE = 10_000;

/**
 * Copies every table, in `TABLES` order so that each row's references are there
 * before it, in key order and in batches: every batch is one all-or-none write, so a
 * copy killed at any instant leaves each table holding a prefix of the source's rows
 * in key order (and the tables after it nothing). That is what makes resuming after
 * the target's last key exact. The next page is read while the current one is
 * written.
 */
export async function copyTables(source: BulkStore, target: BulkStore, options: CopyOptions = {}): Promise<CopyReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const progress = options.progress ?? silentProgress;
  const started = performance.now();
  const tables = {} as Record<TableName, TableCopy>;
  for (const table of TABLES) {
    tables[table] = await copyTable(source, target, table, batchSize, options.resume ?? false, progress);
  }
  return { tables, seconds: (performance.now() - started) / 1000 };
}

async function copyTable<T extends TableName>(
  source: BulkStore,
  target: BulkStore,
  table: T,
  batchSize: number,
  resume: boolean,
  progress: ProgressSink,
): Promise<TableCopy> {
  const started = performance.now();
  progress.begin('copy', table);
  const resumedAfter = resume ? await target.lastRowKey(table) : null;
  const [total, present] = await Promise.all([source.countRows(table), resume ? target.countRows(table) : 0]);
  progress.expect(total, present);
  const copy: TableCopy = { rows: 0, written: 0, skipped: 0, resumedAfter, seconds: 0 };

  let next = readPage(source, table, resumedAfter, batchSize);
  for (;;) {
    const rows = await next;
    if (rows.length === 0) break;
    next = rows.length < batchSize ? Promise.resolve([]) : readPage(source, table, rowKey(table, rows[rows.length - 1]), batchSize);
    const { written, skipped } = await target.writeRows(table, rows);
    copy.rows += rows.length;
    copy.written += written;
    copy.skipped += skipped;
    progress.advance(rows.length);
  }
  progress.end();
  copy.seconds = (performance.now() - started) / 1000;
  return copy;
}

/** A page read ahead; a failure is reported when the page is awaited, never as an unhandled rejection. */
function readPage<T extends TableName>(
  store: BulkStore,
  table: T,
  afterKey: string | null,
  limit: number,
): Promise<TableRowTypes[T][]> {
  const page = store.readRows(table, afterKey, limit);
  page.catch(() => undefined);
  return page;
}
