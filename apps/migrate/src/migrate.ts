import { MissingReferenceError, TABLES, type BulkStore, type TableName } from '@santa/domain';
import { copyTables, DEFAULT_BATCH_SIZE, type CopyReport } from './copy';
import {
  describeLocation,
  openIfPresent,
  openLocation,
  sameLocation,
  type Location,
  type MigratableStore,
} from './locations';
import { silentProgress, type ProgressSink } from './progress';
import { auditAssignments, compareStores, type AssignmentAudit, type Comparison } from './verify';

export type Mode = 'copy' | 'verify-only' | 'dry-run';

export interface MigrationOptions {
  from: Location;
  to: Location;
  mode?: Mode;
  /** Write into a target that already holds rows: each table carries on after its last key. */
  resume?: boolean;
  batchSize?: number;
  progress?: ProgressSink;
}

export interface StoreSummary {
  location: string;
  /** `BulkStore.dataVersion()`, or null when a dry run found nothing there yet. */
  dataVersion: string | null;
}

export interface PlannedTable {
  source: number;
  target: number;
  /** Rows a copy would read and write. */
  toCopy: number;
}

export interface MigrationReport {
  mode: Mode;
  from: StoreSummary;
  to: StoreSummary;
  /** What a dry run found. */
  plan?: { tables: Record<TableName, PlannedTable>; refusal: string | null };
  copy?: CopyReport;
  comparison?: Comparison;
  audit?: AssignmentAudit;
  seconds: number;
}

/** The migration was refused before anything was written, or a store could not be used. */
export class MigrationRefusedError extends Error {
  override readonly name = 'MigrationRefusedError';
}

/** A store failed while it was read or written: the message names it. */
export class StoreFailedError extends Error {
  override readonly name = 'StoreFailedError';
}

/** The stores do not hold the same rows, or a draw is broken: the report says where. */
export class VerificationError extends Error {
  override readonly name = 'VerificationError';
  constructor(
    message: string,
    readonly report: MigrationReport,
  ) {
    super(message);
  }
}

/**
 * Copies every table from one stage's store to another's and verifies the result,
 * or only verifies, or only says what a copy would do. The source is opened
 * read-only where its adapter allows and is never written. Throws
 * MigrationRefusedError before writing anything when the target is not empty (and
 * `resume` is not set), when both are one location, or when a store cannot be opened
 * (an unreachable database, a schema of another version, a locked or foreign
 * directory); VerificationError when the rows differ.
 */
export async function migrate(options: MigrationOptions): Promise<MigrationReport> {
  const started = performance.now();
  const mode = options.mode ?? 'copy';
  if (sameLocation(options.from, options.to)) {
    throw new MigrationRefusedError(`source and target are the same store: ${describeLocation(options.from)}`);
  }

  const source = await opened('source', options.from, () => openLocation(options.from, 'read'));
  let target: MigratableStore | null = null;
  try {
    target = await opened('target', options.to, () =>
      mode === 'dry-run' ? openIfPresent(options.to) : openLocation(options.to, mode === 'copy' ? 'write' : 'read'),
    );
    const report = await run(
      { ...options, mode },
      named('source', options.from, source),
      target && named('target', options.to, target),
    );
    return { ...report, seconds: (performance.now() - started) / 1000 };
  } finally {
    await Promise.allSettled([source.close(), target?.close()]);
  }
}

async function run(
  options: MigrationOptions & { mode: Mode },
  source: BulkStore,
  target: BulkStore | null,
): Promise<MigrationReport> {
  const started = performance.now();
  const { mode } = options;
  const verifying = { batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE, progress: options.progress ?? silentProgress };
  const report: MigrationReport = {
    mode,
    from: { location: describeLocation(options.from), dataVersion: await source.dataVersion() },
    to: { location: describeLocation(options.to), dataVersion: target && (await target.dataVersion()) },
    seconds: 0,
  };
  const finish = () => ({ ...report, seconds: (performance.now() - started) / 1000 });

  if (mode === 'dry-run') {
    report.plan = await planCopy(source, target, options);
    return finish();
  }
  if (target === null) throw new Error('a target store is needed to copy or verify');
  if (mode === 'copy') {
    if (!options.resume) await assertEmpty(target, options.to);
    report.copy = await copyTables(source, target, {
      batchSize: options.batchSize,
      resume: options.resume,
      progress: options.progress,
    });
  }
  report.comparison = await compareStores(source, target, verifying);
  report.audit = await auditAssignments(target, verifying);
  const difference = report.comparison.firstDifference;
  if (difference) {
    const fields = difference.fields ? ` (${difference.fields.join(', ')})` : '';
    throw new VerificationError(
      `verification failed: ${difference.table} differ first at key ${difference.key}: ${difference.kind}${fields}`,
      finish(),
    );
  }
  if (report.audit.problem) throw new VerificationError(`verification failed: ${report.audit.problem}`, finish());
  return finish();
}

/**
 * The store, with its failures named: which side, which location, and what went
 * wrong. A row the target refuses for a missing reference was read from the source,
 * in table order, so it is the source that lacks the row it refers to.
 */
function named(role: 'source' | 'target', location: Location, store: BulkStore): BulkStore {
  const where = `${role} ${describeLocation(location)}`;
  const call = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof MissingReferenceError) {
        throw new StoreFailedError(
          `the source holds ${error.table} row ${error.key}, which refers to ${error.missing}, and the source has no such ` +
            'row: its data is inconsistent (a truncated or edited file?). Nothing of that batch was written.',
        );
      }
      throw new StoreFailedError(`${where}: ${messageOf(error)}`, { cause: error });
    }
  };
  return {
    dataVersion: () => call(() => store.dataVersion()),
    countRows: (table) => call(() => store.countRows(table)),
    readRows: (table, afterKey, limit) => call(() => store.readRows(table, afterKey, limit)),
    lastRowKey: (table) => call(() => store.lastRowKey(table)),
    writeRows: (table, rows) => call(() => store.writeRows(table, rows)),
  };
}

/** Opens a store, naming the side and the location in any failure. */
async function opened<T>(role: 'source' | 'target', location: Location, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (error) {
    throw new MigrationRefusedError(`${role} ${describeLocation(location)}: ${messageOf(error)}`, { cause: error });
  }
}

/** An error's message followed by its causes' (a driver's ECONNREFUSED under the store's "unavailable"). */
export function messageOf(error: unknown): string {
  const messages: string[] = [];
  for (let current: unknown = error; current !== undefined && messages.length < 4; current = (current as Error).cause) {
    const message = current instanceof Error ? current.message || current.name : String(current);
    // A wrapper's message often quotes its cause already.
    if (message && !messages.some((earlier) => earlier.includes(message))) messages.push(message);
    if (!(current instanceof Error)) break;
  }
  return messages.map((message, index) => (index < messages.length - 1 ? message.replace(/\.$/, '') : message)).join(': ');
}

async function assertEmpty(target: BulkStore, location: Location): Promise<void> {
  for (const table of TABLES) {
    const rows = await target.countRows(table);
    if (rows > 0) {
      throw new MigrationRefusedError(
        `target ${describeLocation(location)} is not empty (${table}: ${rows} rows). Pass --resume to carry on with ` +
          'an interrupted migration into it, or migrate into an empty store.',
      );
    }
  }
}

async function planCopy(
  source: BulkStore,
  target: BulkStore | null,
  options: MigrationOptions,
): Promise<NonNullable<MigrationReport['plan']>> {
  const tables = {} as Record<TableName, PlannedTable>;
  let refusal: string | null = null;
  for (const table of TABLES) {
    const [inSource, inTarget] = await Promise.all([source.countRows(table), target ? target.countRows(table) : 0]);
    tables[table] = { source: inSource, target: inTarget, toCopy: options.resume ? Math.max(0, inSource - inTarget) : inSource };
    if (inTarget > 0 && !options.resume) {
      refusal ??= `the target is not empty (${table}: ${inTarget} rows): a copy would be refused without --resume`;
    }
  }
  return { tables, refusal };
}
