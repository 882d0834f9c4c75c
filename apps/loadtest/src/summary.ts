/**
 * The summary JSON the scenarios write (k6's handleSummary data plus the run plan,
 * see scenarios/lib/summary.ts), read into the numbers the comparisons use. Missing
 * metrics read as zero (k6 leaves out what never happened); anything that is not a
 * k6 summary at all is refused with a message saying what is wrong.
 */

/** Milliseconds. All zero when no request completed. */
export interface LatencyMs {
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RouteStats {
  requests: number;
  durationMs: LatencyMs;
  failedRate: number;
}

/** One step of a capacity run. */
export interface CapacityStep {
  step: number;
  /** Iterations per second the step asked for; null when the summary has no run plan. */
  targetRate: number | null;
  /** Iterations per second that actually started during the step. */
  achievedRate: number;
  iterations: number;
  requests: number;
  p95Ms: number;
  failedRate: number;
  /** p95 under the SLO and under 1% failed requests, as k6's thresholds judged them. */
  withinSlo: boolean;
}

export interface K6Summary {
  /** From the run plan; null for a summary written by another script. */
  scenario: string | null;
  workload: string | null;
  sloP95Ms: number | null;
  /** The scenario's own requests (setup's readiness check is not one of them). */
  requests: number;
  rps: number;
  durationMs: LatencyMs;
  failedRate: number;
  /** 1 when no check ran. */
  checksPassRate: number;
  droppedIterations: number;
  iterations: number;
  retriedRequests: number;
  vusMax: number;
  testRunDurationMs: number;
  thresholdsOk: boolean;
  /** "metric expression" of every threshold that failed. */
  failedThresholds: string[];
  byName: Record<string, RouteStats>;
  /** Capacity runs only: one entry per step, in order. */
  steps: CapacityStep[] | null;
}

interface RawMetric {
  values: Record<string, unknown>;
  thresholds: Record<string, unknown>;
}

export class SummaryFormatError extends Error {
  override readonly name = 'SummaryFormatError';
}

export function parseK6Summary(json: unknown): K6Summary {
  if (!isObject(json)) throw new SummaryFormatError('a k6 summary is a JSON object; got ' + describe(json));
  if (!isObject(json.metrics)) throw new SummaryFormatError('a k6 summary has a "metrics" object; this one has none');
  const metrics = new Map<string, RawMetric>();
  for (const [name, metric] of Object.entries(json.metrics)) {
    if (!isObject(metric)) continue;
    metrics.set(name, {
      values: isObject(metric.values) ? metric.values : {},
      thresholds: isObject(metric.thresholds) ? metric.thresholds : {},
    });
  }
  const plan = isObject(json.run) ? json.run : {};
  const scenario = typeof plan.scenario === 'string' ? plan.scenario : null;
  const sloP95Ms = finiteOrNull(plan.sloP95Ms);

  const value = (metric: string, stat: string): number => finiteOrNull(metrics.get(metric)?.values[stat]) ?? 0;
  // The scenario's own numbers when the plan names it, the whole run's otherwise.
  const scoped = (metric: string): string => {
    const name = scenario === null ? metric : `${metric}{scenario:${scenario}}`;
    return metrics.has(name) ? name : metric;
  };
  const latency = (metric: string): LatencyMs => ({
    avg: value(metric, 'avg'),
    p50: value(metric, 'p(50)') || value(metric, 'med'),
    p95: value(metric, 'p(95)'),
    p99: value(metric, 'p(99)'),
    max: value(metric, 'max'),
  });

  const failedThresholds: string[] = [];
  for (const [name, metric] of metrics) {
    for (const [expression, outcome] of Object.entries(metric.thresholds)) {
      if (!isObject(outcome) || outcome.ok !== true) failedThresholds.push(`${name} ${expression}`);
    }
  }

  const byName: Record<string, RouteStats> = {};
  for (const name of metrics.keys()) {
    const route = tagValue(name, 'http_req_duration', 'name');
    if (route === undefined) continue;
    byName[route] = {
      requests: value(name, 'count') || value(`http_reqs{name:${route}}`, 'count'),
      durationMs: latency(name),
      failedRate: value(`http_req_failed{name:${route}}`, 'rate'),
    };
  }

  const testRunDurationMs = isObject(json.state) ? (finiteOrNull(json.state.testRunDurationMs) ?? 0) : 0;
  return {
    scenario,
    workload: typeof plan.workload === 'string' ? plan.workload : null,
    sloP95Ms,
    requests: value(scoped('http_reqs'), 'count'),
    rps: value(scoped('http_reqs'), 'rate'),
    durationMs: latency(scoped('http_req_duration')),
    failedRate: value(scoped('http_req_failed'), 'rate'),
    checksPassRate: passRate(value(scoped('checks'), 'passes'), value(scoped('checks'), 'fails')),
    droppedIterations: value('dropped_iterations', 'count'),
    iterations: value('iterations', 'count'),
    retriedRequests: value('retried_requests', 'count'),
    vusMax: value('vus_max', 'max') || value('vus_max', 'value'),
    testRunDurationMs,
    thresholdsOk: failedThresholds.length === 0,
    failedThresholds,
    byName,
    steps: parseSteps(metrics, plan, value),
  };
}

function parseSteps(
  metrics: Map<string, RawMetric>,
  plan: Record<string, unknown>,
  value: (metric: string, stat: string) => number,
): CapacityStep[] | null {
  const planned = new Map<number, { rate: number | null; durationMs: number | null }>();
  if (Array.isArray(plan.steps)) {
    for (const step of plan.steps) {
      if (isObject(step) && Number.isInteger(step.step)) {
        planned.set(step.step as number, { rate: finiteOrNull(step.rate), durationMs: finiteOrNull(step.durationMs) });
      }
    }
  }
  for (const name of metrics.keys()) {
    const step = Number(tagValue(name, 'http_req_duration', 'step'));
    if (Number.isInteger(step) && step > 0 && !planned.has(step)) planned.set(step, { rate: null, durationMs: null });
  }
  if (planned.size === 0) return null;

  const thresholdsHold = (metric: string): boolean =>
    Object.values(metrics.get(metric)?.thresholds ?? {}).every((outcome) => isObject(outcome) && outcome.ok === true);
  return [...planned.entries()]
    .sort(([a], [b]) => a - b)
    .map(([step, { rate, durationMs }]) => {
      const iterations = value(`iterations{step:${step}}`, 'count');
      const duration = `http_req_duration{step:${step}}`;
      const failed = `http_req_failed{step:${step}}`;
      return {
        step,
        targetRate: rate,
        achievedRate: durationMs ? iterations / (durationMs / 1000) : 0,
        iterations,
        requests: value(duration, 'count'),
        p95Ms: value(duration, 'p(95)'),
        failedRate: value(failed, 'rate'),
        withinSlo: metrics.has(duration) && thresholdsHold(duration) && thresholdsHold(failed),
      };
    });
}

/** A step counts as held when it kept the SLO and started at least this share of the iterations it asked for. */
export const HELD_RATE_SHARE = 0.95;

/**
 * The capacity a capacity run found: the achieved rate of the highest step that held,
 * counting only the unbroken run of held steps from the first (a step that passes after
 * one that failed is noise, not capacity). A step holds when it was within the SLO and
 * achieved at least HELD_RATE_SHARE of its target rate (k6 dropping iterations means
 * the offered load was not delivered). Null when not even the first step held.
 */
export function capacityOf(summary: K6Summary): { step: number; rate: number } | null {
  let found: { step: number; rate: number } | null = null;
  for (const step of summary.steps ?? []) {
    const delivered = step.targetRate === null || step.achievedRate >= step.targetRate * HELD_RATE_SHARE;
    if (!step.withinSlo || !delivered) break;
    found = { step: step.step, rate: step.achievedRate };
  }
  return found;
}

/** k6 reports a rate of 0 for checks that never ran; no check ran means none failed. */
function passRate(passes: number, fails: number): number {
  return passes + fails === 0 ? 1 : passes / (passes + fails);
}

/** The value of `tag` in a submetric key such as `http_req_duration{name:GET /me}`. */
function tagValue(key: string, metric: string, tag: string): string | undefined {
  if (!key.startsWith(`${metric}{`) || !key.endsWith('}')) return undefined;
  for (const pair of key.slice(metric.length + 1, -1).split(',')) {
    const colon = pair.indexOf(':');
    if (colon > 0 && pair.slice(0, colon).trim() === tag) return pair.slice(colon + 1).trim();
  }
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
