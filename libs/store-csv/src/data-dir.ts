import { mkdir, readFile, readdir, realpath, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { COMMIT_RECORD_FILE, PreparedCommit, isErrno, isStagedFile, recoverAppend, recoverFiles } from './file-commit';
import { LOCK_FILE, isLockDraft, lockDataDir } from './owner-lock';
import { TableFiles } from './table-files';
import { TABLES, TABLE_NAMES, encodeTable } from './tables';

/**
 * The data directory: `meta.json` (the format and its version), one CSV file per
 * table, the owner's `store.lock`, and while a write is in flight its staged files
 * and perhaps `commit.json` or `append.json`.
 */

export const META_FILE = 'meta.json';
export const FORMAT = 'santa-ladder/csv';
/** Raise it with every change to a table's columns or their encoding. */
export const FORMAT_VERSION = 2;
/** Version 1 had no outbox: opening it (not read-only) adds the outbox's empty tables. */
const TABLES_ADDED_IN_2 = ['outbox', 'links'] as const;

interface Meta {
  format: string;
  version: number;
}

/** The directory is not one this build can read, or not a CSV data directory at all. */
export class DataDirFormatError extends Error {
  override readonly name = 'DataDirFormatError';
}

/**
 * Locks the directory (creating it if needed), finishes or discards a write a crash
 * interrupted, checks the format version, and initialises an empty directory.
 *
 * Read-only, the directory must already be a CSV data directory: it is neither
 * created nor initialised. It is still locked, so no stage writes while it is read,
 * and a write a crash interrupted is still finished or discarded, which leaves every
 * acknowledged row as it was.
 */
export async function openDataDir(dataDir: string, options: { readOnly?: boolean } = {}): Promise<TableFiles> {
  const readOnly = options.readOnly ?? false;
  if (readOnly) await assertDataDir(dataDir);
  else await mkdir(dataDir, { recursive: true });
  // The real path: two paths to one directory must meet the same lock.
  const dir = await realpath(dataDir);
  const lock = await lockDataDir(dir);
  try {
    await prepare(dir, readOnly);
    return new TableFiles(dir, lock, { readOnly });
  } catch (error) {
    await lock.release();
    throw error;
  }
}

/** Refuses a path that is not a directory with a meta.json, before anything is written to it. */
async function assertDataDir(dataDir: string): Promise<void> {
  const kind = await stat(dataDir).then(
    (stats) => (stats.isDirectory() ? 'directory' : 'file'),
    (error: unknown) => {
      if (isErrno(error, 'ENOENT')) return 'nothing';
      throw error;
    },
  );
  if (kind === 'nothing') throw new DataDirFormatError(`${dataDir} does not exist.`);
  if (kind === 'file') throw new DataDirFormatError(`${dataDir} is a file, not a CSV data directory.`);
  if ((await readMeta(dataDir)) === null) {
    throw new DataDirFormatError(`${dataDir} has no ${META_FILE}, so it is not a CSV data directory.`);
  }
}

async function prepare(dir: string, readOnly: boolean): Promise<void> {
  let meta = await readMeta(dir);
  if (meta === null) {
    const foreign = (await readdir(dir)).filter((name) => !isOwnTransientFile(name));
    if (foreign.length > 0) {
      throw new DataDirFormatError(
        `${dir} is not empty and has no ${META_FILE}, so it is not a CSV data directory ` +
          `(found ${foreign.slice(0, 3).join(', ')}). Use an empty or new directory.`,
      );
    }
    // An initialisation that a crash interrupted is completed here, or discarded.
    await recoverFiles(dir);
    meta = await readMeta(dir);
    if (meta === null) return initialise(dir);
  }
  // Checked before recovery touches anything: another version may write differently.
  if (meta.format !== FORMAT) {
    throw new DataDirFormatError(`${join(dir, META_FILE)} names the format ${JSON.stringify(meta.format)}, not ${FORMAT}.`);
  }
  if (meta.version === 1 && !readOnly) {
    await recoverFiles(dir);
    await recoverAppend(dir);
    await upgradeFromVersion1(dir);
    meta = { ...meta, version: FORMAT_VERSION };
  }
  if (meta.version !== FORMAT_VERSION) {
    throw new DataDirFormatError(
      `${dir} holds CSV data of format version ${meta.version}; this build reads version ${FORMAT_VERSION} only. ` +
        (meta.version === 1
          ? 'Open it once with the stage (not read-only) to upgrade it.'
          : 'Run the build that wrote it, or migrate the data.'),
    );
  }
  await recoverFiles(dir);
  await recoverAppend(dir);
  const present = await readdir(dir);
  await Promise.all(present.filter(isLockDraft).map((name) => rm(join(dir, name), { force: true })));
  const missing = TABLE_NAMES.map((name) => TABLES[name].file).filter((file) => !present.includes(file));
  if (missing.length > 0) {
    throw new DataDirFormatError(`${dir} is missing ${missing.join(', ')}; restore the directory from a backup.`);
  }
}

/** The directory's meta.json, or null when it has none. */
async function readMeta(dir: string): Promise<Meta | null> {
  const path = join(dir, META_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch {
    throw new DataDirFormatError(`${path} is not valid JSON.`);
  }
  if (
    typeof meta !== 'object' ||
    meta === null ||
    typeof (meta as Meta).format !== 'string' ||
    typeof (meta as Meta).version !== 'number'
  ) {
    throw new DataDirFormatError(`${path} has no format and version.`);
  }
  return meta as Meta;
}

/** The lock, and what an interrupted write, initialisation or locking leaves behind. */
function isOwnTransientFile(name: string): boolean {
  return name === LOCK_FILE || name === COMMIT_RECORD_FILE || isLockDraft(name) || isStagedFile(name);
}

/** Adds the tables version 2 added, empty, and the new meta.json, as one commit. */
async function upgradeFromVersion1(dir: string): Promise<void> {
  const meta: Meta = { format: FORMAT, version: FORMAT_VERSION };
  const files = new Map<string, Iterable<string>>([[META_FILE, [JSON.stringify(meta, null, 2) + '\n']]]);
  for (const name of TABLES_ADDED_IN_2) files.set(TABLES[name].file, encodeTable(name, []));
  const commit = await PreparedCommit.prepare(dir, files);
  await commit.apply();
}

/** Writes meta.json and every table's header as one commit. */
async function initialise(dir: string): Promise<void> {
  const meta: Meta = { format: FORMAT, version: FORMAT_VERSION };
  const files = new Map<string, Iterable<string>>([[META_FILE, [JSON.stringify(meta, null, 2) + '\n']]]);
  for (const name of TABLE_NAMES) files.set(TABLES[name].file, encodeTable(name, []));
  const commit = await PreparedCommit.prepare(dir, files);
  await commit.apply();
}
