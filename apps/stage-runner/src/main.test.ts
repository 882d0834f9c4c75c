import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const runner = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');

function runStage(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', runner, ...args], { encoding: 'utf8', timeout: 30_000 });
}

// Starting a stage for real (ready line, drain on SIGTERM, exit 0) is covered by the
// conformance suite, which starts every stage through `npm run stage`; a stage made
// of replicas is tested in ./replicas.
describe('npm run stage', () => {
  it('lists the stages on --help', () => {
    const result = runStage('--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/stages: .*01-csv.*02-sqlite.*05-replicas/);
  });

  it('refuses an unknown stage and names the known ones', () => {
    const result = runStage('99-mainframe');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown stage "99-mainframe"');
    expect(result.stderr).toContain('02-sqlite');
  });

  it('refuses a bad port', () => {
    expect(runStage('02-sqlite', '--port', 'eighty').status).toBe(2);
    expect(runStage('02-sqlite', '--port', '70000').status).toBe(2);
  });

  it('takes --replicas 1-32 for a stage made of replicas, and for no other', () => {
    for (const count of ['0', '33', 'two']) {
      const result = runStage('05-replicas', '--replicas', count);
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('--replicas must be 1-32');
    }
    const single = runStage('02-sqlite', '--replicas', '2');
    expect(single.status).toBe(2);
    expect(single.stderr).toContain('runs one process');
  }, 60_000);

  it('refuses a missing stage and unknown options', () => {
    expect(runStage().status).toBe(2);
    const unknownOption = runStage('02-sqlite', '--colour', 'red');
    expect(unknownOption.status).toBe(2);
    expect(unknownOption.stderr).toContain('usage: npm run stage');
  });
});
