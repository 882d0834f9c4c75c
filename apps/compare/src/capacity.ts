/**
 * Capacity from a ramp: the highest arrival rate the target held, where a step holds
 * when its p95 latency is under the SLO, under 1% of its requests failed, and k6
 * started at least 95% of the iterations the step scheduled (k6 drops an iteration
 * when every VU is busy waiting on the target, so a shortfall means the offered load
 * was not delivered). The ramp is a staircase of constant rates (the `capacity`
 * scenario tags every request with its step); each step is judged on its own requests.
 */

export const CAPACITY_SLO = {
  /** p95 of a step must be strictly below this. */
  p95Ms: 50,
  /** Failed requests of a step must be strictly below this share. */
  errorRate: 0.01,
  /** Iterations k6 started must reach this share of those the step scheduled. */
  deliveredShare: 0.95,
} as const;

export interface RampStep {
  /** The arrival rate the step offered, in iterations (requests) per second. */
  rate: number;
  /** How long the step held that rate. */
  seconds: number;
  /** Iterations k6 started during the step. */
  iterations: number;
  /** Requests completed during the step. */
  requests: number;
  p95Ms: number;
  /** Share of the step's requests that failed, 0..1. */
  errorRate: number;
}

export interface StepVerdict extends RampStep {
  held: boolean;
  /** Why the step did not hold, in words; empty when it held. */
  reasons: string[];
}

export interface Capacity {
  /**
   * The rate of the highest step such that it and every step below it held; 0 when
   * the first step already failed. A step that holds after a failed one does not
   * count: capacity is where the target stops keeping up, not a lucky second.
   */
  rate: number;
  /** Requests per second actually served during that step (0 when none held). */
  achievedRps: number;
  /** The first step that did not hold, if any: where the SLO broke. */
  brokeAt: StepVerdict | null;
  steps: StepVerdict[];
}

export function judgeStep(step: RampStep): StepVerdict {
  const reasons: string[] = [];
  if (!(step.p95Ms < CAPACITY_SLO.p95Ms)) reasons.push(`p95 ${step.p95Ms.toFixed(1)} ms >= ${CAPACITY_SLO.p95Ms} ms`);
  if (!(step.errorRate < CAPACITY_SLO.errorRate)) reasons.push(`${(step.errorRate * 100).toFixed(2)}% errors >= ${CAPACITY_SLO.errorRate * 100}%`);
  const scheduled = step.rate * step.seconds;
  if (scheduled > 0 && !(step.iterations >= scheduled * CAPACITY_SLO.deliveredShare)) {
    reasons.push(`${step.iterations} of ${Math.round(scheduled)} iterations started`);
  }
  if (step.requests === 0) reasons.push('no request completed');
  return { ...step, held: reasons.length === 0, reasons };
}

export function deriveCapacity(steps: readonly RampStep[]): Capacity {
  const ordered = [...steps].sort((a, b) => a.rate - b.rate);
  const verdicts = ordered.map(judgeStep);
  let lastHeld: StepVerdict | null = null;
  let brokeAt: StepVerdict | null = null;
  for (const verdict of verdicts) {
    if (!verdict.held) {
      brokeAt = verdict;
      break;
    }
    lastHeld = verdict;
  }
  return {
    rate: lastHeld?.rate ?? 0,
    achievedRps: lastHeld ? lastHeld.requests / lastHeld.seconds : 0,
    brokeAt,
    steps: verdicts,
  };
}
