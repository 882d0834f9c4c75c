import { describe, expect, it } from 'vitest';
import { compareRuns, renderAgreementMarkdown } from './agreement';
import { deriveCapacity } from './capacity';
import { checkTargets, growthTable, renderLadderCapacitySvg, renderLadderGrowthSvg, renderLadderMarkdown } from './ladder-report';
import { COUNTED_METRICS, parseCounters } from './compare';
import { cacheHitRate, fmt, renderComparisonMarkdown, renderComparisonSvg, summarize, verdict } from './report';
import type { ComparisonResult, LadderResult, RunRecord } from './result';

const machine = { cores: 2, cpuModel: 'Test CPU', memoryBytes: 8 * 2 ** 30, kernel: '6.1.0', loadAverageAtStart: [0.5, 0.4, 0.3], versions: { node: 'v24.0.0', k6: 'v1.8.1' } };

function run(target: string, round: number, p95Ms: number, appCpu: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    target,
    round,
    startedAt: '2026-01-01T00:00:00.000Z',
    startupSeconds: 1,
    measured: { requests: 6000, rps: 200, p50Ms: p95Ms / 2, p95Ms, p99Ms: p95Ms * 2, errorRate: 0, droppedIterations: 0, seconds: 30 },
    capacity: null,
    groups: {
      k6: { cpuSeconds: 6, peakMemoryBytes: 50 * 2 ** 20, pids: [3], cpuSecondsPer1kRequests: 1 },
      app: { cpuSeconds: appCpu * 6, peakMemoryBytes: 100 * 2 ** 20, pids: [1, 2], cpuSecondsPer1kRequests: appCpu },
    },
    k6Summary: {},
    ...extra,
  };
}

function comparison(overrides: Partial<ComparisonResult> = {}): ComparisonResult {
  return {
    schema: 'santa-compare/1',
    name: 'a-vs-b',
    command: 'npm run compare -- A B',
    git: { commit: '0123456789abcdef', dirty: false },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:10:00.000Z',
    machine,
    settings: { targets: ['A', 'B'], scenario: 'reveal', participants: 100_000, rounds: 3, rate: 200, ramp: null, duration: '30s', warmup: '10s', seed: 1 },
    dataset: { seed: 1, participants: 100_000, drawnRate: 1, rows: null, tokensInFile: 100_000, loads: [{ target: 'A', seconds: 12.5, how: 'bulk' }] },
    // Rounds alternate A B; B is about twice as fast, with one slow round.
    runs: [run('A', 1, 10, 2), run('B', 1, 5, 1), run('A', 2, 12, 2), run('B', 2, 4, 1.2), run('A', 3, 8, 2), run('B', 3, 8, 0.8)],
    notes: ['A note.'],
    ...overrides,
  };
}

describe('the comparison report', () => {
  it('takes medians per target and ratios per round with their min, median and max', () => {
    const summary = summarize(comparison());
    expect(summary.targets.map((one) => [one.target, one.p95Ms, one.cpuPer1k.app])).toEqual([
      ['A', 10, 2],
      ['B', 5, 1],
    ]);
    expect(summary.groups).toEqual(['app', 'k6']);
    const [ratios] = summary.ratios;
    expect(ratios?.perRound.map((one) => one.p95)).toEqual([0.5, 4 / 12, 1]);
    expect(ratios?.p95).toEqual({ min: 4 / 12, median: 0.5, max: 1 });
    expect(ratios?.appCpuPer1k.median).toBeCloseTo(0.5);
  });

  it('renders the tables and the verdict from the numbers, and says when no iteration was dropped', () => {
    const markdown = renderComparisonMarkdown(comparison());
    expect(markdown).toContain('# A vs B: `reveal`, 100,000 participants');
    expect(markdown).toContain('npm run compare -- A B');
    expect(markdown).toContain('At 200 req/s, **B** answers with a median p95 of 5.00 ms against 10.00 ms for **A** (p95 ratio 0.50×, rounds 0.33×–1.00×)');
    expect(markdown).toContain('| **A** | 200 | 5.00 | 10.00 | 20.00 | 0.00% | 0 | 2.00 | 1.00 | 100 | 50 |');
    expect(markdown).toContain('| **median** | 1.00× | 0.50× | 0.50× |');
    expect(markdown).toContain('| 2 | B | 200 | 6,000 | 2.00 | 4.00 | 8.00 | 0.00% | 0 | 1.20 | 1.00 | 100 | 50 | 1.0 |');
    expect(markdown).toContain('No run dropped an iteration');
    expect(markdown).toContain('- A note.');
    expect(markdown).toContain('Test CPU');
  });

  it("shows the machine's cores during each run, and names the runs something outside the comparison disturbed", () => {
    // 30 s on 2 cores is 60 CPU seconds; the runner takes 1.2 of them in every run.
    const withMachine = (one: RunRecord, outsideSeconds: number, stealSeconds: number): RunRecord => {
      const measured = Object.values(one.groups).reduce((sum, group) => sum + group.cpuSeconds, 0);
      return { ...one, machine: { seconds: 30, busySeconds: measured + 1.2 + outsideSeconds, stealSeconds, runnerSeconds: 1.2 } };
    };
    const markdown = renderComparisonMarkdown(comparison({ runs: comparison().runs.map((one, index) => (index === 3 ? withMachine(one, 4.5, 0.6) : withMachine(one, 0.3, 0.3))) }));
    expect(markdown).toContain('## The machine during each run');
    expect(markdown).toContain('| 1 | A | 30.0 | 32.50% | 30.00% | 2.00% | 0.50% | 0.50% |');
    expect(markdown).toContain('| 2 | B | 30.0 | 31.50% | 22.00% | 2.00% | 7.50% | 1.00% |');
    expect(markdown).toContain('Disturbed (more than 5% of the cores went to processes outside the comparison or to the hypervisor): round 2 of B (8.50%).');

    const clean = renderComparisonMarkdown(comparison({ runs: comparison().runs.map((one) => withMachine(one, 0.3, 0.3)) }));
    expect(clean).toContain('No run lost more than 5% of the cores');
    // Files written before the machine was recorded have no such section.
    expect(renderComparisonMarkdown(comparison())).not.toContain('The machine during each run');
  });

  it('names every run that dropped iterations', () => {
    const result = comparison();
    (result.runs[3] as RunRecord).measured.droppedIterations = 42;
    const markdown = renderComparisonMarkdown(result);
    expect(markdown).toContain('Round 2 of **B** dropped 42 iterations');
    expect(markdown).not.toContain('No run dropped');
  });

  it('reports capacity ramps: capacity per round, ratios, and the step where each broke', () => {
    const steps = (broke: number) => [100, 200, 300].map((rate) => ({ rate, seconds: 3, iterations: rate * 3, requests: rate * 3, p95Ms: rate >= broke ? 80 : 5, errorRate: 0 }));
    const result = comparison({
      settings: { ...comparison().settings, scenario: 'capacity', rate: null, ramp: { workload: 'reveal', startRate: 100, maxRate: 300, steps: 3, rates: [100, 200, 300] }, duration: '3s' },
      runs: [
        run('A', 1, 60, 2, { capacity: deriveCapacity(steps(200)) }),
        run('B', 1, 30, 1, { capacity: deriveCapacity(steps(300)) }),
        run('A', 2, 60, 2, { capacity: deriveCapacity(steps(300)) }),
        run('B', 2, 30, 1, { capacity: deriveCapacity(steps(400)) }),
      ],
    });
    const summary = summarize(result);
    expect(summary.targets.map((one) => one.capacity)).toEqual([150, 250]);
    expect(summary.ratios[0]?.capacity).toEqual({ min: 1.5, median: 1.75, max: 2 });
    expect(verdict(result)).toContain('**B** held 250 req/s against 150 for **A**');
    const markdown = renderComparisonMarkdown(result);
    expect(markdown).toContain('| 1 | A | 100 | 200: p95 80.0 ms >= 50 ms |');
    expect(markdown).toContain('| 2 | B | 300 | never: the top step held |');
    expect(markdown).toContain("The ramp's top step (300 req/s) still held for B in 1 of 2 rounds");
    expect(markdown).toContain('| 1 | A | 5.0 | 80.0 ✗ | 80.0 ✗ |');
    expect(renderComparisonSvg(result)).toContain('Capacity');
  });

  it('draws p95 and app CPU per round', () => {
    const svg = renderComparisonSvg(comparison());
    expect(svg).toContain('p95 latency at 200 req/s');
    expect(svg).toContain('App CPU per request');
    expect(svg.match(/<title>/g)).toHaveLength(12);
  });

  it('prints a dash for a missing figure', () => {
    expect(fmt(Number.NaN)).toBe('–');
    expect(fmt(1234.567, 1)).toBe('1,234.6');
  });
});

describe('the ladder report', () => {
  const growthFile = (size: number, p95: Record<string, number>, loads: Record<string, number>): ComparisonResult =>
    comparison({
      name: `growth-reveal-${size}`,
      settings: { ...comparison().settings, targets: Object.keys(p95), participants: size, rate: 100 },
      dataset: { ...comparison().dataset, participants: size, loads: Object.entries(loads).map(([target, seconds]) => ({ target, seconds, how: 'bulk' })) },
      runs: Object.entries(p95).flatMap(([target, value]) => [run(target, 1, value, 1), run(target, 2, value, 1)]),
    });
  const brokeAt = (rate: number) => ({ rate: rate + 100, seconds: 3, iterations: 0, requests: 0, p95Ms: 90, errorRate: 0, held: false, reasons: ['p95'] });
  const capacityRun = (target: string, round: number, rate: number, topped = false) =>
    run(target, round, 10, 1, { capacity: { rate, achievedRps: rate, brokeAt: topped ? null : brokeAt(rate), steps: [] } });
  const files = new Map<string, ComparisonResult>([
    ['growth-reveal-1000', growthFile(1_000, { '01-csv': 5, '02-sqlite': 2 }, { '01-csv': 0.2, '02-sqlite': 0.1 })],
    ['growth-reveal-1000000', growthFile(1_000_000, { '02-sqlite': 2.6 }, { '02-sqlite': 95 })],
    [
      'capacity-reveal-100000',
      comparison({
        name: 'capacity-reveal-100000',
        settings: { ...comparison().settings, targets: ['ceiling', 'bare-node', '02-sqlite'], scenario: 'capacity', rate: null, ramp: { workload: 'reveal', startRate: 100, maxRate: 300, steps: 3, rates: [100, 200, 300] } },
        runs: [capacityRun('ceiling', 1, 1000), capacityRun('bare-node', 1, 3000, true), capacityRun('02-sqlite', 1, 900), capacityRun('ceiling', 2, 1200), capacityRun('bare-node', 2, 3000), capacityRun('02-sqlite', 2, 900)],
      }),
    ],
    ['01-csv-vs-02-sqlite-reveal-100000', comparison({ name: '01-csv-vs-02-sqlite-reveal-100000', settings: { ...comparison().settings, targets: ['01-csv', '02-sqlite'] }, runs: [run('01-csv', 1, 900, 50), run('02-sqlite', 1, 3, 1), run('01-csv', 2, 1100, 60), run('02-sqlite', 2, 3, 1)] })],
  ]);
  const ladder: LadderResult = {
    schema: 'santa-ladder/1',
    command: 'npm run ladder',
    parts: [
      { part: 'pairs', command: 'npm run ladder', startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:30:00.000Z' },
      { part: 'growth', command: 'npm run ladder -- --parts growth', startedAt: '2026-01-01T00:30:00.000Z', finishedAt: '2026-01-01T01:00:00.000Z' },
    ],
    git: { commit: 'abcdef0123456789', dirty: true },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T01:00:00.000Z',
    machine,
    comparisons: ['01-csv-vs-02-sqlite-reveal-100000'],
    capacity: 'capacity-reveal-100000',
    capacityDashboard: null,
    growth: {
      scenario: 'reveal',
      rates: { '01-csv': 100, '02-sqlite': 100 },
      sizes: [1_000, 1_000_000],
      stages: ['01-csv', '02-sqlite'],
      files: { '1000': ['growth-reveal-1000'], '1000000': ['growth-reveal-1000000'] },
      skipped: [{ stage: '01-csv', participants: 1_000_000, reason: 'too slow' }],
    },
    notes: [],
  };

  it('tabulates p95 per stage and size, with gaps where a stage did not run', () => {
    const table = growthTable(ladder, files);
    expect(table.p95.get('02-sqlite')).toEqual([2, 2.6]);
    expect(table.p95.get('01-csv')?.[1]).toBeNaN();
    expect(table.loads.get('02-sqlite')).toEqual([0.1, 95]);
    expect(table.sources.get('01-csv')).toEqual(['growth-reveal-1000', null]);
  });

  it('judges the targets it has figures for, and says which it has none for', () => {
    const checks = checkTargets(ladder, files);
    const byName = (start: string) => checks.find((check) => check.target.startsWith(start));
    expect(byName('capacity ceiling / bare-node')).toMatchObject({
      met: false,
      figure: "0.37× (rounds 0.33×–0.40×); bare-node held the ramp's top in 1 of 2 rounds, so this is an upper bound",
      source: 'capacity-reveal-100000.md',
    });
    expect(byName('capacity 02-sqlite / ceiling')).toMatchObject({ met: true, figure: '0.83× (rounds 0.75×–0.90×)' });
    expect(byName('capacity 04-redis-cache / 03-postgres (dashboard)')).toMatchObject({ met: null, figure: 'not measured' });
    expect(byName('p95 at 1,000,000 / p95 at 1,000 participants, 02-sqlite')).toMatchObject({ met: true, figure: '1.30× (2.60 ms against 2.00 ms)' });
    expect(byName('1M participants written into 02-sqlite')).toMatchObject({ met: true, figure: '95.0 s' });
    expect(byName('1M participants written into 03-postgres')).toMatchObject({ met: null });
  });

  it('renders ladder.md and both charts from the files', () => {
    const markdown = renderLadderMarkdown(ladder, files);
    expect(markdown).toContain('```sh\nnpm run ladder\nnpm run ladder -- --parts growth\n```');
    expect(markdown).toContain('- growth: `npm run ladder -- --parts growth`, 2026-01-01T00:30:00.000Z to 2026-01-01T01:00:00.000Z');
    expect(markdown).toContain('| [01-csv → 02-sqlite](01-csv-vs-02-sqlite-reveal-100000.md) | `reveal` | 200 | 1,000.00 → 3.00 | 0.003× (0.0027×–0.0033×) |');
    expect(markdown).toContain('| **bare-node** | 3,000 (3,000–3,000; top step held in 1 of 2) |');
    expect(markdown).toContain('- **01-csv** at 1,000,000 participants: too slow');
    expect(markdown).toContain('| capacity 02-sqlite / ceiling (reveal) ≥ 0.8 | 0.83× (rounds 0.75×–0.90×) | **met** |');
    expect(renderLadderCapacitySvg(ladder, files)).toContain('bare-node');
    expect(renderLadderGrowthSvg(ladder, files)?.match(/<circle/g)).toHaveLength(3);
  });

  it('refuses a ladder whose comparison file is missing', () => {
    expect(() => renderLadderMarkdown(ladder, new Map())).toThrow(/ladder.json names .*, which is missing/);
  });
});

describe('cache counters', () => {
  it('reads counters from Prometheus text and reports the hit rate of a run', () => {
    const text = [
      '# HELP santa_cache_reads_total Cached reads',
      '# TYPE santa_cache_reads_total counter',
      'santa_cache_reads_total{view="me",result="hit"} 75',
      'santa_cache_reads_total{view="me",result="miss"} 25',
      'santa_store_operations_total{operation="getMeView"} 25',
    ].join('\n');
    const counters = parseCounters(text, COUNTED_METRICS);
    expect(counters).toEqual({ 'santa_cache_reads_total{view="me",result="hit"}': 75, 'santa_cache_reads_total{view="me",result="miss"}': 25 });
    const cached = run('B', 1, 5, 1, { counters });
    expect(cacheHitRate(cached)).toBe(0.75);
    expect(cacheHitRate(run('A', 1, 5, 1))).toBeNull();
    const markdown = renderComparisonMarkdown(comparison({ runs: [run('A', 1, 10, 2), cached] }));
    expect(markdown).toContain('| **B** | 200 | 2.50 | 5.00 | 10.00 | 0.00% | 0 | 75.00% |');
    expect(markdown).toContain('| **A** | 200 | 5.00 | 10.00 | 20.00 | 0.00% | 0 | – |');
  });
});

describe('the agreement of two runs', () => {
  it('agrees on a ratio when each median lies within the other run\'s rounds, and says which ratio disagrees', () => {
    const first = comparison();
    // B over A per round, first run: p95 0.5×, 0.33×, 1×; app CPU 0.5×, 0.6×, 0.4×.
    const same = comparison({ name: 'a-vs-b-again' });
    expect(compareRuns(first, same).every((one) => one.agree)).toBe(true);
    // A second run where B's p95 is 3× A's in every round: outside the first run's 0.33×–1×.
    const slower = comparison({
      name: 'a-vs-b-slower',
      runs: [run('A', 1, 10, 2), run('B', 1, 30, 1), run('A', 2, 10, 2), run('B', 2, 30, 1), run('A', 3, 10, 2), run('B', 3, 30, 1)],
    });
    const agreements = compareRuns(first, slower);
    expect(agreements.filter((one) => !one.agree).map((one) => one.measure)).toEqual(['p95']);
    const markdown = renderAgreementMarkdown(first, slower, agreements);
    expect(markdown).toContain('They disagree on 1 of 3: p95 of B over A.');
    expect(markdown).toContain('| p95, B / A | 0.50× (0.33×–1.00×) | 3.00× (3.00×–3.00×) | **no** |');
  });

  it('takes a ratio that is the same in every round, give or take a request, as agreeing', () => {
    const withRps = (rps: number) => (one: RunRecord) => (one.target === 'B' ? { ...one, measured: { ...one.measured, rps } } : one);
    const first = comparison({ runs: comparison().runs.map(withRps(199.9)) });
    const second = comparison({ runs: comparison().runs.map(withRps(200.1)) });
    expect(compareRuns(first, second).find((one) => one.measure === 'req/s')?.agree).toBe(true);
  });

  it('refuses two runs of different comparisons', () => {
    const other = comparison({ settings: { ...comparison().settings, participants: 1_000 } });
    expect(() => compareRuns(comparison(), other)).toThrow(/differ in their settings/);
  });
});
