import { readFile } from 'node:fs/promises';
import { K6_EXIT, k6Version, runScenario, type ScenarioName } from '@santa/loadtest';
import type { RampOptions } from './args';
import type { RampStep } from './capacity';
import type { MeasuredRun } from './result';

export interface LoadRequest {
  scenario: ScenarioName;
  baseUrl: string;
  tokensFile: string;
  /** Constant arrival rate in requests per second, for `duration` (fixed-rate scenarios, warm-ups). */
  rate?: number;
  duration?: string;
  /** A capacity staircase, each step held for `stepSeconds`. */
  ramp?: RampOptions & { stepSeconds: number };
  summaryFile: string;
}

export interface LoadOutcome {
  measured: MeasuredRun;
  /** Per-step figures of a capacity ramp; null otherwise. */
  steps: RampStep[] | null;
  /** The summary JSON the scenario wrote, as it wrote it. */
  summary: unknown;
}

/** Runs load against a target: k6 in comparisons, anything that yields the same figures in tests. */
export type LoadRunner = (request: LoadRequest) => Promise<LoadOutcome>;

/** The environment knobs of the k6 scenarios (apps/loadtest/scenarios/lib/config.ts) for a request. */
export function scenarioEnv(request: LoadRequest): Record<string, string | number> {
  if (request.ramp) {
    const { workload, startRate, maxRate, steps, stepSeconds } = request.ramp;
    return { WORKLOAD: workload, START_RATE: startRate, MAX_RATE: maxRate, STEPS: steps, RAMP_DURATION: `${Math.round(steps * stepSeconds * 1000)}ms` };
  }
  if (request.rate === undefined || request.duration === undefined) throw new Error('a fixed-rate run needs a rate and a duration');
  return { RATE: request.rate, DURATION: request.duration };
}

/** The load runner of real comparisons: the k6 scenarios of apps/loadtest. */
export const k6LoadRunner: LoadRunner = async (request) => {
  const result = await runScenario({
    scenario: request.scenario,
    baseUrl: request.baseUrl,
    tokensFile: request.tokensFile,
    env: scenarioEnv(request),
    summaryFile: request.summaryFile,
  });
  // Over the SLO (exit 99) is a result, not a failure: it is what a capacity ramp ends in.
  const acceptable = result.exitCode === K6_EXIT.ok || result.exitCode === K6_EXIT.thresholdsFailed;
  if (!acceptable || result.summary === null) {
    throw new Error(`k6 ${request.scenario} against ${request.baseUrl} failed (exit ${result.exitSignal ?? result.exitCode}):\n${result.outputTail}`);
  }
  const summary = result.summary;
  const stepSeconds = request.ramp?.stepSeconds ?? 0;
  return {
    measured: {
      requests: summary.requests,
      rps: summary.rps,
      p50Ms: summary.durationMs.p50,
      p95Ms: summary.durationMs.p95,
      p99Ms: summary.durationMs.p99,
      errorRate: summary.failedRate,
      droppedIterations: summary.droppedIterations,
      seconds: summary.testRunDurationMs / 1000,
    },
    steps:
      summary.steps?.map((step) => ({
        rate: step.targetRate ?? Number.NaN,
        seconds: stepSeconds,
        iterations: step.iterations,
        requests: step.requests,
        p95Ms: step.p95Ms,
        errorRate: step.failedRate,
      })) ?? null,
    summary: JSON.parse(await readFile(request.summaryFile, 'utf8')) as unknown,
  };
};

export async function k6Versions(): Promise<Record<string, string>> {
  return { k6: (await k6Version()).replace(/^k6 /, '') };
}
