import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SummaryFormatError, capacityOf, parseK6Summary } from './summary';

/** Summaries written by the scenarios in real runs (k6 v1.8.1 against 02-sqlite), trimmed of metrics nobody reads. */
function fixture(name: string): Record<string, unknown> & { metrics: Record<string, unknown>; run: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`./test/fixtures/${name}`, import.meta.url), 'utf8'));
}

describe('parseK6Summary', () => {
  it('reads a fixed-rate run: the scenario’s own requests, latency, routes, SLO', () => {
    const summary = parseK6Summary(fixture('reveal-summary.json'));
    expect(summary).toMatchObject({
      scenario: 'reveal',
      workload: 'reveal',
      sloP95Ms: 50,
      // 62 requests in all, one of them setup's readiness check, which is not load.
      requests: 61,
      failedRate: 0,
      checksPassRate: 1,
      droppedIterations: 0,
      iterations: 61,
      retriedRequests: 0,
      vusMax: 20,
      thresholdsOk: true,
      failedThresholds: [],
      steps: null,
    });
    expect(summary.rps).toBeCloseTo(20.26, 2);
    expect(summary.durationMs).toEqual({ avg: 1.488331606557377, p50: 1.350767, p95: 2.552944, p99: 3.340376199999998, max: 4.243747 });
    expect(summary.testRunDurationMs).toBeCloseTo(3011, 0);
    expect(Object.keys(summary.byName)).toEqual(['GET /me']);
    expect(summary.byName['GET /me']).toMatchObject({ requests: 61, failedRate: 0, durationMs: { p95: 2.552944 } });
  });

  it('reads a capacity run step by step, with the target rate of each from the plan', () => {
    const summary = parseK6Summary(fixture('capacity-summary.json'));
    expect(summary.scenario).toBe('capacity');
    expect(summary.workload).toBe('mixed');
    expect(Object.keys(summary.byName).sort()).toEqual(['GET /exchanges/:id', 'GET /me', 'POST /exchanges/:id/join', 'PUT /me/wishlist']);
    expect(summary.steps?.map(({ step, targetRate, iterations, withinSlo }) => ({ step, targetRate, iterations, withinSlo }))).toEqual([
      { step: 1, targetRate: 5, iterations: 4, withinSlo: true },
      { step: 2, targetRate: 18, iterations: 18, withinSlo: true },
      { step: 3, targetRate: 30, iterations: 31, withinSlo: true },
    ]);
    expect(summary.steps?.[2]?.achievedRate).toBe(31);
  });

  it('lists every failed threshold and is not ok then', () => {
    const json = fixture('reveal-summary.json');
    const duration = json.metrics['http_req_duration{scenario:reveal}'] as { thresholds: Record<string, { ok: boolean }> };
    duration.thresholds['p(95)<50'] = { ok: false };
    const summary = parseK6Summary(json);
    expect(summary.thresholdsOk).toBe(false);
    expect(summary.failedThresholds).toEqual(['http_req_duration{scenario:reveal} p(95)<50']);
  });

  it('reads missing metrics as zero: no dropped iterations, no requests, no checks', () => {
    const summary = parseK6Summary({ metrics: {}, state: {} });
    expect(summary).toMatchObject({ requests: 0, rps: 0, droppedIterations: 0, iterations: 0, failedRate: 0, checksPassRate: 1 });
    expect(summary.durationMs).toEqual({ avg: 0, p50: 0, p95: 0, p99: 0, max: 0 });
    expect(summary.scenario).toBeNull();
    expect(summary.byName).toEqual({});
    expect(summary.thresholdsOk).toBe(true);
  });

  it('reads a summary from another script, without a run plan, from the whole-run metrics and k6’s default stats', () => {
    const summary = parseK6Summary({
      metrics: {
        http_reqs: { type: 'counter', values: { count: 10, rate: 5 } },
        http_req_duration: { type: 'trend', values: { avg: 2, med: 1.5, 'p(95)': 3, max: 4 } },
        dropped_iterations: { type: 'counter', values: { count: 2, rate: 1 } },
        junk: 'not a metric',
        'http_req_duration{name:GET /x}': { type: 'trend', values: { 'p(95)': 'fast' } },
      },
    });
    expect(summary).toMatchObject({ requests: 10, rps: 5, droppedIterations: 2, durationMs: { avg: 2, p50: 1.5, p95: 3, p99: 0, max: 4 } });
    expect(summary.byName['GET /x']?.durationMs.p95).toBe(0);
  });

  it('refuses what is not a k6 summary, saying why', () => {
    expect(() => parseK6Summary([])).toThrow(SummaryFormatError);
    expect(() => parseK6Summary(null)).toThrow(/JSON object; got null/);
    expect(() => parseK6Summary({ root_group: {} })).toThrow(/"metrics" object/);
  });
});

describe('capacityOf', () => {
  const withSteps = (steps: Array<[target: number, achieved: number, withinSlo: boolean]>) => {
    const summary = parseK6Summary(fixture('capacity-summary.json'));
    summary.steps = steps.map(([targetRate, achievedRate, withinSlo], index) => ({
      step: index + 1,
      targetRate,
      achievedRate,
      iterations: achievedRate * 10,
      requests: achievedRate * 10,
      p95Ms: 1,
      failedRate: 0,
      withinSlo,
    }));
    return summary;
  };

  it('is the achieved rate of the last step of the unbroken run that held the SLO', () => {
    expect(capacityOf(withSteps([[100, 100, true], [200, 199, true], [300, 290, false], [400, 400, true]]))).toEqual({ step: 2, rate: 199 });
  });

  it('does not count a step whose offered load was not delivered (dropped iterations)', () => {
    expect(capacityOf(withSteps([[100, 100, true], [200, 150, true]]))).toEqual({ step: 1, rate: 100 });
  });

  it('is null when not even the first step held, or the run has no steps', () => {
    expect(capacityOf(withSteps([[100, 100, false]]))).toBeNull();
    expect(capacityOf(parseK6Summary(fixture('reveal-summary.json')))).toBeNull();
  });
});
