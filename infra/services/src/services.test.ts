import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresBinDir, startPostgres, startRedis, type RunningPostgres, type RunningRedis } from './index';

function psql(pg: RunningPostgres, sql: string): string {
  const result = spawnSync(join(postgresBinDir(), 'psql'), [pg.url, '-tAc', sql], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(result.stderr);
  return result.stdout.trim();
}

describe('PostgreSQL on loopback', () => {
  let pg: RunningPostgres;
  afterAll(() => pg?.stop());

  it('starts on a free port with its own data directory, keeps data across a restart, and cleans up', async () => {
    pg = await startPostgres();
    expect(pg.url).toMatch(/^postgres:\/\/santa@127\.0\.0\.1:\d+\/santa$/);
    expect(pg.version).toMatch(/PostgreSQL\) 1\d/);
    psql(pg, 'CREATE TABLE t (v int); INSERT INTO t VALUES (42)');
    await pg.restart();
    expect(psql(pg, 'SELECT v FROM t')).toBe('42');
    const dataDir = pg.dataDir;
    await pg.stop();
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe('PostgreSQL on a data directory that outlives it', () => {
  it('starts again on the same data in a private (0700) parent directory, as a stage restarted after a crash does', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'santa-pg-parent-'));
    const dataDir = join(parent, 'postgres');
    try {
      const first = await startPostgres({ dataDir });
      psql(first, 'CREATE TABLE kept (v text); INSERT INTO kept VALUES ($$still here$$)');
      await first.stop();
      const second = await startPostgres({ dataDir });
      try {
        expect(psql(second, 'SELECT v FROM kept')).toBe('still here');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('Redis on loopback', () => {
  let redis: RunningRedis;
  afterAll(() => redis?.stop());

  it('starts on a free port, survives a kill and a start', async () => {
    redis = await startRedis();
    expect(redis.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    const pid = redis.pid;
    await redis.kill();
    await redis.start();
    expect(redis.pid).not.toBe(pid);
  });
});
