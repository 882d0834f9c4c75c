import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCompareArgs } from './args';
import { runComparison, writeComparison } from './compare';
import { k6LoadRunner, k6Versions } from './load-runner';
import { renderComparisonMarkdown } from './report';
import type { ComparisonResult } from './result';
import { knownTargets } from './targets';

/**
 * One real comparison, as small as it gets: the two reference servers as fresh
 * processes, k6 at a low fixed rate, two short rounds each, files into a temporary
 * directory. It proves the whole path (processes, warm-up, k6, /proc, files), not speed.
 */
describe('compare, end to end', () => {
  const outDir = mkdtempSync(join(tmpdir(), 'santa-compare-test-'));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('runs bare-node against ceiling and writes JSON, Markdown and SVG', async () => {
    const argv = ['bare-node', 'ceiling', '--participants', '300', '--rounds', '2', '--rate', '20', '--duration', '2s', '--warmup', '1s', '--name', 'tiny', '--out', outDir];
    const command = parseCompareArgs(argv, knownTargets());
    if (command.kind !== 'compare') throw new Error('expected a comparison');
    const lines: string[] = [];
    const result = await runComparison(command.options, { runLoad: k6LoadRunner, loadVersions: await k6Versions(), command: `npm run compare -- ${argv.join(' ')}`, log: (line) => lines.push(line) });
    const paths = writeComparison(result, outDir);

    expect(result.runs.map((run) => `${run.round}:${run.target}`)).toEqual(['1:bare-node', '1:ceiling', '2:bare-node', '2:ceiling']);
    for (const run of result.runs) {
      expect(run.measured.requests).toBeGreaterThan(0);
      expect(run.measured.errorRate).toBe(0);
      expect(run.groups.app?.cpuSeconds).toBeGreaterThan(0);
      expect(run.groups.app?.peakMemoryBytes).toBeGreaterThan(0);
      expect(run.groups.k6?.cpuSeconds).toBeGreaterThan(0);
      expect(run.groups.postgres).toBeUndefined();
      expect(run.k6Summary).toHaveProperty('metrics');
    }
    expect(result.dataset).toMatchObject({ participants: 300, tokensInFile: 300 });
    expect(result.machine.versions.k6).toMatch(/^v\d/);

    const saved = JSON.parse(readFileSync(paths.json, 'utf8')) as ComparisonResult;
    expect(readFileSync(paths.markdown, 'utf8')).toBe(renderComparisonMarkdown(saved));
    expect(readFileSync(paths.markdown, 'utf8')).toContain('## Ratios to bare-node (same round)');
    expect(readFileSync(paths.svg, 'utf8')).toMatch(/^<svg /);
    expect(existsSync(join(outDir, 'tiny.json'))).toBe(true);
  });
});
