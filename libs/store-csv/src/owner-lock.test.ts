import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, LOCK_FILE, lockDataDir, type OwnerLock } from './owner-lock';

const root = await mkdtemp(join(tmpdir(), 'santa-csv-lock-'));
afterAll(() => rm(root, { recursive: true, force: true }));

let dir: string;
let runs = 0;
const held: OwnerLock[] = [];

beforeEach(async () => {
  runs += 1;
  dir = join(root, `run-${runs}`);
  await mkdir(dir);
});

afterEach(async () => {
  await Promise.all(held.splice(0).map((lock) => lock.release()));
});

async function lock(): Promise<OwnerLock> {
  const taken = await lockDataDir(dir);
  held.push(taken);
  return taken;
}

/** The pid of a process that has exited. */
async function pidOfAnExitedProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  const { pid } = child;
  await once(child, 'exit');
  if (pid === undefined) throw new Error('The child process did not start.');
  return pid;
}

describe('the owner lock of a data directory', () => {
  it('writes this process pid into store.lock and removes it on release', async () => {
    const taken = await lock();
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);

    await taken.release();

    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a second open in the same process', async () => {
    await lock();

    const refusal = lockDataDir(dir);

    await expect(refusal).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(refusal).rejects.toThrow(`${dir} is already open in this process (pid ${process.pid})`);
  });

  it('refuses while another live process holds it, naming the directory and that pid', async () => {
    // The test runner's parent process is alive for as long as this test runs.
    await writeFile(join(dir, LOCK_FILE), `${process.ppid}\n`);

    const refusal = lockDataDir(dir);

    await expect(refusal).rejects.toThrow(`${dir} is in use by another process (pid ${process.ppid})`);
    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.ppid}\n`);
  });

  it.each([
    ['a process that has exited', async () => `${await pidOfAnExitedProcess()}\n`],
    ['this process pid, left by an earlier process with the same pid', async () => `${process.pid}\n`],
    ['no pid (emptied by a crash)', async () => ''],
  ])('takes over at once a lock file holding %s', async (_, content) => {
    await writeFile(join(dir, LOCK_FILE), await content());

    await lock();

    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('leaves a lock file that another process took over since', async () => {
    const taken = await lock();
    await writeFile(join(dir, LOCK_FILE), `${process.ppid}\n`);

    await taken.release();

    expect(await readFile(join(dir, LOCK_FILE), 'utf8')).toBe(`${process.ppid}\n`);
  });
});
