import { describe, expect, it } from 'vitest';
import type { TargetSummary } from './report';
import { scalingModels } from './scaling';

const target = (name: string, capacity: number | null, cpuPer1k: Record<string, number>): TargetSummary => ({
  target: name,
  rounds: 3,
  rps: 1000,
  p50Ms: 1,
  p95Ms: 10,
  p99Ms: 20,
  errorRate: 0,
  droppedIterations: 0,
  capacity,
  cacheHitRate: null,
  cpuPer1k,
  peakMemoryBytes: {},
});

describe('scalingModels', () => {
  it('bounds a single process by its event loop and a stage of replicas by all its cores', () => {
    const [single, replicas] = scalingModels(
      [
        // 0.3 ms of app CPU per request: one event loop serves 3,333 req/s at most.
        target('04-redis-cache', 1000, { app: 0.3, postgres: 0.4, redis: 0.05, nginx: Number.NaN, k6: 0.3 }),
        target('05-replicas:2', 900, { app: 0.5, postgres: 0.2, redis: 0.05, nginx: 0.25, k6: 0.3 }),
      ],
      2,
    );
    // Here: min(2 × 1000 / 1.05, 1000 / 0.3) = 1,905 for the single process; 1,000 of it measured.
    expect(single).toMatchObject({ replicated: false, serverMs: 0.75 });
    expect(single?.boundHere).toBeCloseTo(2000 / 1.05);
    expect(single?.efficiency).toBeCloseTo(1000 / (2000 / 1.05));
    // With more cores the event loop caps it: 3,333 × efficiency from 4 cores on.
    expect(single?.projections.map(({ limit }) => limit)).toEqual(['all cores', 'one event loop', 'one event loop', 'one event loop']);
    expect(single?.projections[3]?.rps).toBeCloseTo((1000 / 0.3) * (1000 / (2000 / 1.05)));

    expect(replicas).toMatchObject({ replicated: true, serverMs: 1 });
    expect(replicas?.boundHere).toBeCloseTo(2000 / 1.3);
    // 16 cores: 16,000 req/s of CPU, but one Redis thread serves 1000 / 0.05 = 20,000: the cores bind.
    expect(replicas?.projections[3]).toMatchObject({ cores: 16, limit: 'all cores' });
    expect(replicas?.projections[3]?.rps).toBeCloseTo(16_000 * (900 / (2000 / 1.3)));
  });

  it('never scales a projection up when a target served past its bound here', () => {
    const [model] = scalingModels([target('ceiling', 5000, { app: 0.2, k6: 0.3 })], 2);
    // Bound here: min(2000 / 0.5, 1000 / 0.2) = 4,000; 5,000 measured.
    expect(model?.efficiency).toBeCloseTo(1.25);
    expect(model?.projections[0]?.rps).toBeCloseTo(5000);
  });

  it('leaves out targets without a capacity or CPU figures', () => {
    expect(scalingModels([target('ceiling', null, { app: 0.2, k6: 0.3 }), target('x', 100, { k6: 0.3 })], 2)).toEqual([]);
  });
});
