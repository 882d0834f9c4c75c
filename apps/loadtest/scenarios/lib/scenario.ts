import exec from 'k6/execution';
import http from 'k6/http';
import type { Options, Threshold } from 'k6/options';
import { readConfig, type Config } from './config.ts';
import { api } from './http.ts';
import { summaryOutputs, type RunPlan, type SummaryData } from './summary.ts';
import { loadTokens, type Tokens } from './tokens.ts';
import { CAPACITY_WORKLOADS, WORKLOADS, type Workload } from './workloads.ts';

/** Every trend statistic the comparisons read; `count` gives requests per route and per step. */
const TREND_STATS = ['count', 'avg', 'min', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'max'];

/** Iterations still running when the load stops may finish within this, then they are cut. */
const GRACEFUL_STOP = '10s';

/** What a scenario file exports to k6. */
export interface Scenario {
  options: Options;
  setup(): void;
  run(): void;
  handleSummary(data: SummaryData): Record<string, string>;
}

/**
 * A fixed-rate scenario: constant-arrival-rate (an open model: iterations start on
 * schedule whether or not earlier ones have finished, so a slow server meets the same
 * offered load as a fast one and its latency shows instead of hiding), RATE iterations
 * per second for DURATION. Its thresholds are the SLO: p95 below SLO_P95_MS, under 1%
 * failed requests, over 99% passed checks.
 */
export function fixedRateScenario(name: keyof typeof WORKLOADS): Scenario {
  const config = readConfig();
  const workload = WORKLOADS[name];
  const plan: RunPlan = {
    scenario: name,
    workload: name,
    baseUrl: config.baseUrl,
    sloP95Ms: config.sloP95Ms,
    executor: 'constant-arrival-rate',
    routes: workload.routes,
    rate: config.rate,
    durationMs: config.durationMs,
  };
  const thresholds: Record<string, Threshold[]> = {
    ...reportedMetrics(name, workload),
    [`http_req_duration{scenario:${name}}`]: [`p(95)<${config.sloP95Ms}`],
    [`http_req_failed{scenario:${name}}`]: ['rate<0.01'],
    [`checks{scenario:${name}}`]: ['rate>0.99'],
  };
  const options: Options = {
    discardResponseBodies: true,
    summaryTrendStats: TREND_STATS,
    thresholds,
    scenarios: {
      [name]: {
        executor: 'constant-arrival-rate',
        rate: config.rate,
        timeUnit: '1s',
        duration: `${config.durationMs}ms`,
        preAllocatedVUs: config.preAllocatedVUs,
        maxVUs: config.maxVUs,
        gracefulStop: GRACEFUL_STOP,
      },
    },
  };
  return assemble(config, plan, options, workload, () => undefined);
}

/**
 * The capacity scenario: ramping-arrival-rate up a staircase of STEPS equal steps from
 * START_RATE to MAX_RATE over RAMP_DURATION, running WORKLOAD. Every request is tagged
 * with its step, and each step has the SLO as its own thresholds, so the summary holds
 * each step's p95, failure rate and achieved rate: the capacity is the highest step
 * that held the SLO. A run that breaks the SLO on its upper steps fails its thresholds
 * (k6 exits 99); that is the expected end of a capacity run, not an error.
 */
export function capacityScenario(name: string): Scenario {
  const config = readConfig();
  const workload = CAPACITY_WORKLOADS.get(config.workload);
  if (workload === undefined) {
    throw new Error(`WORKLOAD must be one of ${[...CAPACITY_WORKLOADS.keys()].join(', ')}; got "${config.workload}".`);
  }
  if (config.steps < 2) throw new Error(`STEPS must be at least 2 (a first and a last step); got ${config.steps}.`);
  const stepMs = Math.floor(config.rampDurationMs / config.steps);
  if (stepMs < 1000) throw new Error(`RAMP_DURATION / STEPS must be at least one second; got ${stepMs} ms.`);
  const steps = Array.from({ length: config.steps }, (_, index) => ({
    step: index + 1,
    rate: Math.round(config.startRate + ((config.maxRate - config.startRate) * index) / (config.steps - 1)),
    durationMs: stepMs,
  }));
  const plan: RunPlan = {
    scenario: name,
    workload: config.workload,
    baseUrl: config.baseUrl,
    sloP95Ms: config.sloP95Ms,
    executor: 'ramping-arrival-rate',
    routes: workload.routes,
    steps,
  };
  const thresholds: Record<string, Threshold[]> = reportedMetrics(name, workload);
  for (const { step } of steps) {
    thresholds[`http_req_duration{step:${step}}`] = [`p(95)<${config.sloP95Ms}`];
    thresholds[`http_req_failed{step:${step}}`] = ['rate<0.01'];
    thresholds[`iterations{step:${step}}`] = ['count>=0'];
  }
  // A step starts with a jump to its rate (a zero-length stage) and holds it.
  const stages = steps.flatMap(({ rate }, index) => [
    ...(index === 0 ? [] : [{ target: rate, duration: '0s' }]),
    { target: rate, duration: `${stepMs}ms` },
  ]);
  const options: Options = {
    discardResponseBodies: true,
    summaryTrendStats: TREND_STATS,
    thresholds,
    scenarios: {
      [name]: {
        executor: 'ramping-arrival-rate',
        startRate: steps[0]?.rate ?? config.startRate,
        timeUnit: '1s',
        stages,
        preAllocatedVUs: config.preAllocatedVUs,
        maxVUs: config.maxVUs,
        gracefulStop: GRACEFUL_STOP,
      },
    },
  };
  const tagStep = () => {
    const elapsed = Date.now() - exec.scenario.startTime;
    exec.vu.metrics.tags.step = String(Math.min(Math.floor(elapsed / stepMs), steps.length - 1) + 1);
  };
  return assemble(config, plan, options, workload, tagStep);
}

function assemble(config: Config, plan: RunPlan, options: Options, workload: Workload, beforeIteration: () => void): Scenario {
  const tokens: Tokens | undefined = workload.needsTokens ? loadTokens(config.tokensFile) : undefined;
  const client = api(config.baseUrl);
  return {
    options,
    setup() {
      requireReady(config.baseUrl);
      if (tokens !== undefined) workload.checkTokens?.(tokens);
    },
    run() {
      beforeIteration();
      workload.iteration(client, tokens);
    },
    handleSummary(data) {
      return summaryOutputs(data, plan, config.summaryFile);
    },
  };
}

/**
 * Load is only sent to a stage that says it is ready: numbers measured against a
 * stage that is still starting, or one without its database, would describe nothing.
 */
function requireReady(baseUrl: string): void {
  const response = http.get(`${baseUrl}/readyz`, { tags: { name: 'GET /readyz' }, timeout: '5s' });
  if (response.status !== 200) {
    const answer = response.status === 0 ? `no answer (${response.error})` : `status ${response.status}`;
    throw new Error(`The stage at ${baseUrl} is not ready: GET /readyz gave ${answer}. Refusing to load it.`);
  }
}

/**
 * Thresholds that always hold, only so that k6 keeps these numbers in the summary (it
 * reports a tagged subset of a metric only when a threshold names it): the scenario's
 * own requests apart from setup's readiness check, each route, retries, and dropped
 * iterations, which k6 leaves out when there were none and which must read 0 then.
 */
function reportedMetrics(name: string, workload: Workload): Record<string, Threshold[]> {
  const thresholds: Record<string, Threshold[]> = {
    [`http_reqs{scenario:${name}}`]: ['count>=0'],
    [`http_req_duration{scenario:${name}}`]: ['max>=0'],
    [`http_req_failed{scenario:${name}}`]: ['rate>=0'],
    [`checks{scenario:${name}}`]: ['rate>=0'],
    dropped_iterations: ['count>=0'],
    retried_requests: ['count>=0'],
  };
  for (const route of workload.routes) {
    thresholds[`http_req_duration{name:${route}}`] = ['max>=0'];
    thresholds[`http_req_failed{name:${route}}`] = ['rate>=0'];
  }
  return thresholds;
}
