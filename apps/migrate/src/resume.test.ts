import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '@santa/domain';
import { startPostgres, type RunningPostgres } from '@santa/services';
import { describeLocation, type Location } from './locations';
import { migrate, type MigrationReport } from './migrate';
import { createDatabase, csvDataset, runCli, startCli } from './test-support';

let server: RunningPostgres;
let root: string;
let csvSource: Location;
let sqliteSource: Location;

beforeAll(async () => {
  [server, root] = await Promise.all([startPostgres(), mkdtemp(join(tmpdir(), 'santa-migrate-resume-'))]);
  csvSource = { stage: '01-csv', place: join(root, 'csv-source') };
  sqliteSource = { stage: '02-sqlite', place: join(root, 'sqlite-source') };
  await csvDataset(csvSource.place, { seed: 21, participants: 6_000, drawnRate: 0.9 });
  await migrate({ from: csvSource, to: sqliteSource });
});
afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

const arg = (location: Location) => `${location.stage}:${location.place}`;

/** A fingerprint of the files a file-based store keeps its rows in. */
function filesDigest(location: Location): string {
  const hash = createHash('sha256');
  const names = readdirSync(location.place).filter((name) => name.endsWith('.csv') || name === 'santa.sqlite');
  for (const name of names.sort()) hash.update(name).update(readFileSync(join(location.place, name)));
  return hash.digest('hex');
}

describe('a migration killed with SIGKILL', () => {
  const cases: Array<{ into: string; source(): Location; target(): Location }> = [
    { into: '02-sqlite', source: () => csvSource, target: () => ({ stage: '02-sqlite', place: join(root, 'sqlite-target') }) },
    { into: '01-csv', source: () => sqliteSource, target: () => ({ stage: '01-csv', place: join(root, 'csv-target') }) },
    { into: '03-postgres', source: () => sqliteSource, target: () => ({ stage: '03-postgres', place: createDatabase(server, 'resume') }) },
  ];

  it.each(cases)('part way into $into is refused without --resume, then resumes and ends verified', async (setup) => {
    const source = setup.source();
    const target = setup.target();
    const sourceBefore = filesDigest(source);

    const killed = startCli(['--from', arg(source), '--to', arg(target), '--batch-size', '100', '--progress-every', '0']);
    await killed.waitForLine(/^copy participants +\d[\d,]*\/6,000/);
    killed.child.kill('SIGKILL');
    expect((await killed.done).signal).toBe('SIGKILL');

    const planned = await runCli(['--from', arg(source), '--to', arg(target), '--dry-run', '--resume', '--json']);
    const plan = (JSON.parse(planned.stdout) as MigrationReport).plan;
    expect(plan?.tables.participants.target).toBeGreaterThan(0);
    expect(plan?.tables.participants.toCopy).toBeGreaterThan(0);

    const refused = await runCli(['--from', arg(source), '--to', arg(target)]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`target ${describeLocation(target)} is not empty`);

    const resumed = await runCli(['--from', arg(source), '--to', arg(target), '--resume', '--json']);
    expect(resumed.stderr).not.toMatch(/verification failed/);
    expect(resumed.status).toBe(0);
    const report = JSON.parse(resumed.stdout) as MigrationReport;
    expect(report.copy?.tables.participants.resumedAfter).not.toBeNull();
    expect(report.comparison?.firstDifference).toBeNull();
    expect(report.audit?.problem).toBeNull();
    for (const table of TABLES) {
      expect(report.comparison?.tables[table].rows.target).toBe(report.comparison?.tables[table].rows.source);
    }

    const again = await runCli(['--from', arg(source), '--to', arg(target), '--resume', '--json']);
    expect(again.status).toBe(0);
    const rerun = JSON.parse(again.stdout) as MigrationReport;
    for (const table of TABLES) expect(rerun.copy?.tables[table].written).toBe(0);
    expect(filesDigest(source)).toBe(sourceBefore);
  });
});
