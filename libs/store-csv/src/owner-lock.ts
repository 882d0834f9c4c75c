import { randomBytes } from 'node:crypto';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from './file-commit';

/**
 * One process owns a data directory at a time: the lock file `store.lock` holds the
 * owner's pid. It appears whole (written beside it, then hard-linked into place,
 * which fails when it exists), so a reader never sees it half written.
 *
 * A lock whose pid is no longer running is stale (its owner was killed) and is
 * taken over at once, so a restart after SIGKILL never waits. A lock holding this
 * process's own pid is stale too: it was left by an earlier process that had the
 * same pid, as happens to PID 1 in a restarted container. There is no heartbeat to
 * keep fresh, so a long synchronous parse cannot make the lock look abandoned.
 *
 * Two processes that find the same stale lock at the same instant could both take
 * it over: removing a stale file and creating a new one are two steps. The lock
 * guards against starting a second server on a directory, not against that race.
 */

export const LOCK_FILE = 'store.lock';

/** Directories locked by this process: the pid in the lock file cannot tell them apart. */
const lockedHere = new Set<string>();

export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      ownerPid === process.pid
        ? `The CSV data directory ${dataDir} is already open in this process (pid ${ownerPid}).`
        : `The CSV data directory ${dataDir} is in use by another process (pid ${ownerPid}); ` +
            'stop it first. Only one process may open a CSV data directory.',
    );
  }
}

export interface OwnerLock {
  /** Removes the lock file if it is still this process's. */
  release(): Promise<void>;
}

/** Takes the lock of `dataDir` (an absolute path to an existing directory). */
export async function lockDataDir(dataDir: string): Promise<OwnerLock> {
  if (lockedHere.has(dataDir)) throw new DataDirLockedError(dataDir, process.pid);
  const lockPath = join(dataDir, LOCK_FILE);

  for (let attempt = 1; attempt <= 3; attempt += 1) {
    if (await createLockFile(lockPath)) {
      lockedHere.add(dataDir);
      return { release: () => releaseLock(dataDir, lockPath) };
    }
    const ownerPid = await readOwnerPid(lockPath);
    if (ownerPid !== null && ownerPid !== process.pid && isRunning(ownerPid)) {
      throw new DataDirLockedError(dataDir, ownerPid);
    }
    await rm(lockPath, { force: true });
  }
  throw new Error(`Could not lock ${dataDir}: its lock file kept changing. Is another process starting on it?`);
}

const LOCK_DRAFT = /^store\.lock\.[0-9a-f]{16}\.draft$/;

/** Whether `name` is a lock file draft, which a process killed while locking leaves behind. */
export function isLockDraft(name: string): boolean {
  return LOCK_DRAFT.test(name);
}

/** True when this process created the lock file; false when it already existed. */
async function createLockFile(lockPath: string): Promise<boolean> {
  const draft = `${lockPath}.${randomBytes(8).toString('hex')}.draft`;
  await writeFile(draft, `${process.pid}\n`, { flag: 'wx' });
  try {
    await link(draft, lockPath);
    return true;
  } catch (error) {
    // ENOENT: the owner's recovery deleted this draft as debris; the owner's pid tells the rest.
    if (isErrno(error, 'EEXIST') || isErrno(error, 'ENOENT')) return false;
    throw error;
  } finally {
    await rm(draft, { force: true });
  }
}

/** The pid in the lock file, or null when it is gone or holds no pid (a crash emptied it). */
async function readOwnerPid(lockPath: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function isRunning(pid: number): boolean {
  try {
    // Signal 0 checks that the process exists without signalling it.
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return isErrno(error, 'EPERM');
  }
}

async function releaseLock(dataDir: string, lockPath: string): Promise<void> {
  if (!lockedHere.delete(dataDir)) return;
  if ((await readOwnerPid(lockPath)) === process.pid) await rm(lockPath, { force: true });
}
