import { Mutex, Semaphore } from 'async-mutex';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DomainError, StoreUnavailableError } from '@santa/domain';
import { CommitInDoubtError, PreparedAppend, PreparedCommit } from './file-commit';
import type { OwnerLock } from './owner-lock';
import { TABLES, decodeTable, encodeRows, encodeTable, type TableName, type TableRows } from './tables';

export type Tables<Name extends TableName> = { [N in Name]: TableRows[N][] };

/** What a write sees: the tables as they are now, and the ones it replaces. */
export interface WriteTransaction {
  /** The table's rows, parsed from its file on first use. */
  read<Name extends TableName>(name: Name): Promise<TableRows[Name][]>;
  /** Sets the table's new rows; they are written when the transaction's work returns. */
  replace<Name extends TableName>(name: Name, rows: TableRows[Name][]): void;
}

/**
 * At most this many reads load files at once (more wait their turn); a publish
 * takes every share. Kept small: async-mutex's semaphore does work in proportion to
 * its value on every release.
 */
const READ_SHARES = 64;

/**
 * The table files of an open data directory, and the two locks that keep them
 * consistent inside the process:
 * - the writer lock (a mutex) runs writes one at a time, each from reading the
 *   current tables to its last fsync, so no write is computed from stale rows;
 * - the file lock (a semaphore) lets many readers load files at once, and gives a
 *   write's publish step (its renames) the files to itself, so a read of several
 *   files sees all of them before a write or all of them after it.
 * Readers hold the file lock only while they load file contents, not while they
 * parse them, so a publish waits for disk reads and never for a parse.
 */
export class TableFiles {
  readonly #writer = new Mutex();
  readonly #files = new Semaphore(READ_SHARES);
  #closed = false;
  /** Set when a write failed after its commit point: the files must be recovered by reopening. */
  #failure: Error | null = null;
  #generation = 0;
  readonly #readOnly: boolean;

  constructor(
    readonly dir: string,
    private readonly lock: OwnerLock,
    options: { readOnly?: boolean } = {},
  ) {
    this.#readOnly = options.readOnly ?? false;
  }

  /**
   * Counts the writes committed since the directory was opened. This process is the
   * directory's only writer (the lock), so a value read earlier that still matches
   * means no file changed since: what was derived from the files then still holds.
   */
  get generation(): number {
    return this.#generation;
  }

  /** Parses each named table from its file, all from the same committed state. */
  async read<Name extends TableName>(...names: Name[]): Promise<Tables<Name>> {
    this.#assertUsable();
    const contents = await storeCall(() => this.#files.runExclusive(() => Promise.all(names.map((name) => this.#load(name)))));
    return Object.fromEntries(names.map((name, index) => [name, decodeTable(name, contents[index])])) as Tables<Name>;
  }

  /**
   * Runs `work` alone among writes, then writes every table it replaced as one
   * atomic commit. If `work` throws, nothing is written.
   */
  async write<T>(work: (transaction: WriteTransaction) => Promise<T>): Promise<T> {
    this.#assertWritable();
    return storeCall(() =>
      this.#writer.runExclusive(async () => {
        this.#assertNotFailed();
        const loaded = new Map<TableName, unknown[]>();
        const replaced = new Map<TableName, unknown[]>();
        const transaction: WriteTransaction = {
          read: async <Name extends TableName>(name: Name) => {
            // No file lock: only a write publishes, and this is the only write running.
            if (!loaded.has(name)) loaded.set(name, decodeTable(name, await this.#load(name)));
            return loaded.get(name) as TableRows[Name][];
          },
          replace: (name, rows) => void replaced.set(name, rows),
        };
        const result = await work(transaction);
        if (replaced.size > 0) await this.#commit(replaced);
        return result;
      }),
    );
  }

  /**
   * Runs `plan` alone among writes, then appends the rows it returns to the table's
   * file as one atomic step (file-commit.ts), without rewriting the rows already
   * there, and calls its `committed` while still alone: what it derived from the
   * files holds for the new generation. If `plan` throws, nothing is written.
   */
  async append<Name extends TableName, T>(
    name: Name,
    plan: () => Promise<{ rows: TableRows[Name][]; committed(): T }>,
  ): Promise<T> {
    this.#assertWritable();
    return storeCall(() =>
      this.#writer.runExclusive(async () => {
        this.#assertNotFailed();
        const { rows, committed } = await plan();
        if (rows.length > 0) {
          // Encoded before the readers are held off: they wait for the disk, not for this.
          const chunks = [...encodeRows(name, rows)];
          const prepared = await PreparedAppend.prepare(this.dir, TABLES[name].file);
          await this.#files
            .runExclusive(() => prepared.apply(chunks), READ_SHARES)
            .catch((error: unknown) => this.#noteFailure(error));
          this.#generation += 1;
        }
        return committed();
      }),
    );
  }

  /** Resolves when the directory is readable and writable. */
  async ping(): Promise<void> {
    this.#assertUsable();
    await storeCall(() => access(this.dir, constants.R_OK | constants.W_OK));
  }

  /** Refuses new calls, waits for the writes already queued, then releases the directory. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // The mutex is fair, so this runs after every write queued before it.
    await this.#writer.runExclusive(() => undefined);
    await this.lock.release();
  }

  async #commit(replaced: Map<TableName, unknown[]>): Promise<void> {
    const changes = new Map(
      [...replaced].map(([name, rows]) => [TABLES[name].file, encodeTable(name, rows as TableRows[typeof name][])]),
    );
    const prepared = await PreparedCommit.prepare(this.dir, changes).catch((error: unknown) => this.#noteFailure(error));
    await this.#files
      .runExclusive(() => prepared.apply(), READ_SHARES)
      .catch((error: unknown) => this.#noteFailure(error));
    this.#generation += 1;
  }

  #noteFailure(error: unknown): never {
    if (error instanceof CommitInDoubtError) this.#failure = error;
    throw error;
  }

  #load(name: TableName): Promise<Buffer> {
    return readFile(join(this.dir, TABLES[name].file));
  }

  #assertWritable(): void {
    this.#assertUsable();
    if (this.#readOnly) throw new Error(`The CSV data directory ${this.dir} was opened read-only.`);
  }

  #assertUsable(): void {
    if (this.#closed) throw new StoreUnavailableError('The CSV store is closed.');
    this.#assertNotFailed();
  }

  #assertNotFailed(): void {
    if (this.#failure) {
      throw new StoreUnavailableError('The CSV store stopped after a failed write; restart it to recover.', 1, {
        cause: this.#failure,
      });
    }
  }
}

/**
 * Runs a call that touches the disk. Errors from the file system (and a commit in
 * doubt) become StoreUnavailableError, whose detail reaches clients and so names no
 * path; domain errors and corrupt tables pass through.
 */
async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    if (error instanceof CommitInDoubtError || isSystemError(error)) {
      throw new StoreUnavailableError('The CSV store cannot use its files right now; retry shortly.', 1, {
        cause: error,
      });
    }
    throw error;
  }
}

function isSystemError(error: unknown): boolean {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}
