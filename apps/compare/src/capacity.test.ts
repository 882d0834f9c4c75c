import { describe, expect, it } from 'vitest';
import { deriveCapacity, judgeStep, type RampStep } from './capacity';

const step = (rate: number, p95Ms: number, extra: Partial<RampStep> = {}): RampStep => ({
  rate,
  seconds: 5,
  iterations: rate * 5,
  requests: rate * 5,
  p95Ms,
  errorRate: 0,
  ...extra,
});

describe('capacity from a ramp', () => {
  it('is the highest step below which every step held', () => {
    const capacity = deriveCapacity([step(100, 3), step(200, 4), step(400, 12), step(800, 70), step(1600, 400)]);
    expect(capacity.rate).toBe(400);
    expect(capacity.achievedRps).toBe(400);
    expect(capacity.brokeAt?.rate).toBe(800);
    expect(capacity.brokeAt?.reasons).toEqual(['p95 70.0 ms >= 50 ms']);
  });

  it('does not count a step that holds again after one broke', () => {
    expect(deriveCapacity([step(100, 3), step(200, 60), step(400, 10)]).rate).toBe(100);
  });

  it('orders the steps by rate whatever order they came in', () => {
    expect(deriveCapacity([step(400, 60), step(100, 3), step(200, 4)]).rate).toBe(200);
  });

  it('is 0 when the first step already broke, and the whole ramp when none did', () => {
    expect(deriveCapacity([step(100, 80), step(200, 90)])).toMatchObject({ rate: 0, achievedRps: 0 });
    expect(deriveCapacity([step(100, 3), step(200, 4)])).toMatchObject({ rate: 200, brokeAt: null });
  });

  it('breaks on 1% errors, on undelivered iterations and on a silent step, not only on latency', () => {
    expect(judgeStep(step(100, 3, { errorRate: 0.01 })).reasons).toEqual(['1.00% errors >= 1%']);
    expect(judgeStep(step(100, 3, { errorRate: 0.0099 })).held).toBe(true);
    expect(judgeStep(step(100, 3, { iterations: 474 })).reasons).toEqual(['474 of 500 iterations started']);
    expect(judgeStep(step(100, 3, { iterations: 475 })).held).toBe(true);
    expect(judgeStep(step(100, Number.NaN, { iterations: 0, requests: 0 })).reasons).toHaveLength(3);
  });

  it('holds only strictly under the SLO', () => {
    expect(judgeStep(step(100, 50)).held).toBe(false);
    expect(judgeStep(step(100, 49.9)).held).toBe(true);
  });
});
