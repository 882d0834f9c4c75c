import { mkdir, mkdtemp, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { APPEND_RECORD_FILE, COMMIT_RECORD_FILE, PreparedAppend, PreparedCommit, recoverAppend, recoverFiles } from './file-commit';

const root = await mkdtemp(join(tmpdir(), 'santa-csv-commit-'));
afterAll(() => rm(root, { recursive: true, force: true }));

const TARGETS = ['a.csv', 'b.csv', 'c.csv'];

let dir: string;
let runs = 0;

beforeEach(async () => {
  runs += 1;
  dir = join(root, `run-${runs}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  for (const target of TARGETS) await writeFile(join(dir, target), `old ${target}\n`);
});

function newContents(): Map<string, string[]> {
  return new Map(TARGETS.map((target) => [target, [`new `, `${target}\n`]]));
}

async function contents(): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')])));
}

const OLD = Object.fromEntries(TARGETS.map((target) => [target, `old ${target}\n`]));
const NEW = Object.fromEntries(TARGETS.map((target) => [target, `new ${target}\n`]));

describe('a commit of several files', () => {
  it('replaces all of them and leaves nothing else behind', async () => {
    const commit = await PreparedCommit.prepare(dir, newContents());
    expect(commit.hasCommitRecord).toBe(true);

    await commit.apply();

    expect(await contents()).toEqual(NEW);
  });

  it('leaves the old files when staging fails part way', async () => {
    function* failing(): Generator<string> {
      yield 'new b.csv, half written';
      throw new Error('disk full');
    }
    const changes = new Map<string, Iterable<string>>([
      ['a.csv', ['new a.csv\n']],
      ['b.csv', failing()],
    ]);

    await expect(PreparedCommit.prepare(dir, changes)).rejects.toThrow('disk full');

    expect(await contents()).toEqual(OLD);
  });

  // Each case stops the protocol where a SIGKILL could, then recovers as the next open does.
  const crashes: { when: string; recovered: 'old' | 'new'; crash(commit: PreparedCommit): Promise<void> }[] = [
    {
      when: 'after staging, before the commit record was in place',
      recovered: 'old',
      async crash() {
        await rm(join(dir, COMMIT_RECORD_FILE));
        await writeFile(join(dir, `${COMMIT_RECORD_FILE}.0123456789abcdef.tmp`), '{"files":[');
      },
    },
    { when: 'right after the commit record', recovered: 'new', crash: async () => undefined },
    {
      when: 'after the first rename',
      recovered: 'new',
      async crash(commit) {
        const [first] = commit.files;
        await rename(join(dir, first.staged), join(dir, first.target));
      },
    },
    {
      when: 'after every rename, before the commit record was removed',
      recovered: 'new',
      async crash(commit) {
        for (const { staged, target } of commit.files) await rename(join(dir, staged), join(dir, target));
      },
    },
  ];

  it.each(crashes)('recovers a crash $when to the $recovered files', async ({ crash, recovered }) => {
    const commit = await PreparedCommit.prepare(dir, newContents());
    await crash(commit);

    await recoverFiles(dir);

    expect(await contents()).toEqual(recovered === 'new' ? NEW : OLD);
    // Recovering again changes nothing.
    await recoverFiles(dir);
    expect(await contents()).toEqual(recovered === 'new' ? NEW : OLD);
  });
});

describe('a commit of one file', () => {
  it('needs no commit record: its rename is atomic', async () => {
    const commit = await PreparedCommit.prepare(dir, new Map([['a.csv', ['new a.csv\n']]]));
    expect(commit.hasCommitRecord).toBe(false);
    expect(await readdir(dir)).not.toContain(COMMIT_RECORD_FILE);

    await commit.apply();

    expect(await contents()).toEqual({ ...OLD, 'a.csv': 'new a.csv\n' });
  });

  it('is discarded by recovery when it was staged but not renamed', async () => {
    await PreparedCommit.prepare(dir, new Map([['a.csv', ['new a.csv\n']]]));

    expect(await recoverFiles(dir)).toEqual({ completed: [], discarded: [expect.stringMatching(/^a\.csv\..*\.tmp$/)] });
    expect(await contents()).toEqual(OLD);
  });
});

describe('an append to one file', () => {
  it('adds the bytes at the end and leaves nothing else behind', async () => {
    const append = await PreparedAppend.prepare(dir, 'a.csv');
    expect(await readdir(dir)).toContain(APPEND_RECORD_FILE);

    await append.apply(['row 1\n', 'row 2\n']);

    expect(await contents()).toEqual({ ...OLD, 'a.csv': 'old a.csv\nrow 1\nrow 2\n' });
  });

  // Each case stops the protocol where a SIGKILL could; the append never committed.
  const crashes: { when: string; written: string }[] = [
    { when: 'right after the append record', written: '' },
    { when: 'part way through the new bytes', written: 'row 1\nro' },
    { when: 'after the new bytes, before the record was removed', written: 'row 1\nrow 2\n' },
  ];

  it.each(crashes)('is rolled back by recovery after a crash $when', async ({ written }) => {
    await PreparedAppend.prepare(dir, 'a.csv');
    await writeFile(join(dir, 'a.csv'), written, { flag: 'a' });

    expect(await recoverAppend(dir)).toBe('a.csv');

    expect(await contents()).toEqual(OLD);
    expect(await recoverAppend(dir)).toBeNull();
    expect(await contents()).toEqual(OLD);
  });
});
