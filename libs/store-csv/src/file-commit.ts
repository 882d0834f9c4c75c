import { randomBytes } from 'node:crypto';
import { open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Replacing several files in one directory so that a crash at any instant leaves
 * either all of the old files or all of the new ones.
 *
 * 1. Stage: write each new file to a temporary file beside its target and fsync it.
 * 2. Commit (only when more than one file changes): fsync the directory, so every
 *    staged file is durable, then write the commit record (the list of renames to
 *    do) to its own temporary file, fsync it, rename it into place and fsync the
 *    directory. The write is durable from this instant on.
 * 3. Apply: rename each staged file over its target and fsync the directory.
 * 4. Remove the commit record.
 *
 * `recoverFiles`, run when the directory is opened, finishes what a crash
 * interrupted: a commit record means step 3 may be incomplete, so it redoes the
 * renames whose staged file is still there (a missing one was already renamed);
 * staged files without a commit record belong to a write that never committed and
 * are deleted. A single-file write skips step 2: its one rename is atomic by itself.
 */

export const COMMIT_RECORD_FILE = 'commit.json';

/** Staged files are named `<target>.<16 hex digits>.tmp`, so recovery can tell them from anything else. */
const STAGED_FILE = /^(.+)\.[0-9a-f]{16}\.tmp$/;

/** The new content of each file to replace, by file name inside the directory. */
export type FileChanges = ReadonlyMap<string, Iterable<string>>;

export interface StagedFile {
  /** Name of the staged file in the directory. */
  staged: string;
  /** Name of the file it replaces. */
  target: string;
}

interface CommitRecord {
  files: StagedFile[];
}

/**
 * A failure after the commit point: the write may be durable or may be lost until
 * `recoverFiles` runs, and the files in the directory may be half replaced. The only
 * safe reaction is to stop using the directory until it is reopened.
 */
export class CommitInDoubtError extends Error {
  override readonly name = 'CommitInDoubtError';
  constructor(dir: string, options: { cause: unknown }) {
    super(`A write to ${dir} failed after its commit point; reopen the directory to recover it.`, options);
  }
}

/** A write whose files are staged (and committed, when it has a commit record) but not yet applied. */
export class PreparedCommit {
  private constructor(
    readonly dir: string,
    readonly files: readonly StagedFile[],
    readonly hasCommitRecord: boolean,
  ) {}

  /**
   * Steps 1 and 2. A failure before the commit record is in place changes nothing
   * (the staged files are removed, and recovery removes any left); one after it
   * throws `CommitInDoubtError`.
   */
  static async prepare(dir: string, changes: FileChanges): Promise<PreparedCommit> {
    const files: StagedFile[] = [];
    const discard = () => removeQuietly(dir, files.map(({ staged }) => staged));
    try {
      for (const [target, content] of changes) {
        const staged = stagedName(target);
        files.push({ staged, target });
        await writeDurably(join(dir, staged), content);
      }
    } catch (error) {
      await discard();
      throw error;
    }
    if (files.length <= 1) return new PreparedCommit(dir, files, false);

    const record: CommitRecord = { files };
    const recordStaged = stagedName(COMMIT_RECORD_FILE);
    try {
      await syncDirectory(dir);
      await writeDurably(join(dir, recordStaged), [JSON.stringify(record) + '\n']);
      await rename(join(dir, recordStaged), join(dir, COMMIT_RECORD_FILE));
    } catch (error) {
      await Promise.all([discard(), removeQuietly(dir, [recordStaged])]);
      throw error;
    }
    try {
      await syncDirectory(dir);
    } catch (error) {
      throw new CommitInDoubtError(dir, { cause: error });
    }
    return new PreparedCommit(dir, files, true);
  }

  /** Steps 3 and 4. */
  async apply(): Promise<void> {
    const [single] = this.files;
    if (!this.hasCommitRecord && single) {
      // One file: the rename is the commit point, and a failed rename changed nothing.
      try {
        await rename(join(this.dir, single.staged), join(this.dir, single.target));
      } catch (error) {
        await removeQuietly(this.dir, [single.staged]);
        throw error;
      }
    }
    try {
      if (this.hasCommitRecord) {
        for (const { staged, target } of this.files) await rename(join(this.dir, staged), join(this.dir, target));
      }
      await syncDirectory(this.dir);
      // Not synced: if the removal is lost in a crash, recovery redoes renames whose
      // staged files no longer exist, which changes nothing.
      if (this.hasCommitRecord) await rm(join(this.dir, COMMIT_RECORD_FILE));
    } catch (error) {
      throw new CommitInDoubtError(this.dir, { cause: error });
    }
  }
}

export interface RecoveryReport {
  /** Files renamed into place from the commit record of an interrupted write. */
  completed: string[];
  /** Staged files of writes that never committed, deleted. */
  discarded: string[];
}

/** Finishes an interrupted commit and deletes staged files left by uncommitted ones. */
export async function recoverFiles(dir: string): Promise<RecoveryReport> {
  const report: RecoveryReport = { completed: [], discarded: [] };
  const record = await readCommitRecord(dir);
  if (record) {
    for (const { staged, target } of record.files) {
      try {
        await rename(join(dir, staged), join(dir, target));
        report.completed.push(target);
      } catch (error) {
        if (!isErrno(error, 'ENOENT')) throw error;
      }
    }
    await syncDirectory(dir);
    await rm(join(dir, COMMIT_RECORD_FILE));
  }
  for (const name of await readdir(dir)) {
    if (STAGED_FILE.test(name)) {
      await rm(join(dir, name), { force: true });
      report.discarded.push(name);
    }
  }
  if (record || report.discarded.length > 0) await syncDirectory(dir);
  return report;
}

/** Whether `name` is a staged file this module could have left behind. */
export function isStagedFile(name: string): boolean {
  return STAGED_FILE.test(name);
}

async function readCommitRecord(dir: string): Promise<CommitRecord | null> {
  let text: string;
  try {
    text = await readFile(join(dir, COMMIT_RECORD_FILE), 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
  // The record was renamed into place whole, so it cannot be torn; anything else is damage.
  const record = JSON.parse(text) as CommitRecord;
  const valid =
    Array.isArray(record.files) &&
    record.files.every(
      (file) => typeof file.staged === 'string' && STAGED_FILE.test(file.staged) && typeof file.target === 'string',
    );
  if (!valid) throw new Error(`${join(dir, COMMIT_RECORD_FILE)} is not a valid commit record.`);
  return record;
}

/** Best effort: whatever is left is deleted by the next recovery. */
async function removeQuietly(dir: string, names: string[]): Promise<void> {
  await Promise.all(names.map((name) => rm(join(dir, name), { force: true }).catch(() => undefined)));
}

function stagedName(target: string): string {
  return `${target}.${randomBytes(8).toString('hex')}.tmp`;
}

/** Creates `path` (it must not exist), writes the chunks and fsyncs it before closing. */
async function writeDurably(path: string, chunks: Iterable<string>): Promise<void> {
  await writeFile(path, chunks, { flag: 'wx', flush: true });
}

/** Makes the directory's entries (creations, renames, removals) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isErrno(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}

/**
 * Appending rows to one file so that a crash at any instant leaves all of them or
 * none, without rewriting what the file already holds (the bulk path: writing a
 * whole table costs O(rows written), not O(rows written × file size)).
 *
 * 1. Record: write the append record (the file and its length now) beside it,
 *    staged, fsynced, renamed into place, and fsync the directory.
 * 2. Append: write the new bytes at the end of the file and fsync it.
 * 3. Commit: remove the append record and fsync the directory. The append is durable
 *    from this instant on.
 *
 * `recoverAppend`, run when the directory is opened, truncates the file back to the
 * recorded length when it finds an append record: the append was not committed.
 */

export const APPEND_RECORD_FILE = 'append.json';

interface AppendRecord {
  target: string;
  length: number;
}

export class PreparedAppend {
  private constructor(
    readonly dir: string,
    readonly record: AppendRecord,
  ) {}

  /** Step 1. A failure changes nothing. */
  static async prepare(dir: string, target: string): Promise<PreparedAppend> {
    const { size } = await stat(join(dir, target));
    const record: AppendRecord = { target, length: size };
    const staged = stagedName(APPEND_RECORD_FILE);
    try {
      await writeDurably(join(dir, staged), [JSON.stringify(record) + '\n']);
      await rename(join(dir, staged), join(dir, APPEND_RECORD_FILE));
      await syncDirectory(dir);
    } catch (error) {
      await removeQuietly(dir, [staged, APPEND_RECORD_FILE]);
      throw error;
    }
    return new PreparedAppend(dir, record);
  }

  /**
   * Steps 2 and 3. Any failure throws `CommitInDoubtError`: the file may hold part of
   * the new bytes until recovery truncates them.
   */
  async apply(chunks: Iterable<string>): Promise<void> {
    try {
      await writeFile(join(this.dir, this.record.target), chunks, { flag: 'a', flush: true });
      await rm(join(this.dir, APPEND_RECORD_FILE));
      await syncDirectory(this.dir);
    } catch (error) {
      throw new CommitInDoubtError(this.dir, { cause: error });
    }
  }
}

/** Rolls back an append that a crash interrupted; returns the file it truncated, if any. */
export async function recoverAppend(dir: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFile(join(dir, APPEND_RECORD_FILE), 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
  // Renamed into place whole, so it cannot be torn; anything else is damage.
  const record = JSON.parse(text) as AppendRecord;
  if (typeof record.target !== 'string' || record.target.includes('/') || !Number.isSafeInteger(record.length)) {
    throw new Error(`${join(dir, APPEND_RECORD_FILE)} is not a valid append record.`);
  }
  const path = join(dir, record.target);
  const handle = await open(path, 'r+');
  try {
    await handle.truncate(record.length);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rm(join(dir, APPEND_RECORD_FILE));
  await syncDirectory(dir);
  return record.target;
}
