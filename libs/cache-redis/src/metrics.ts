import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The cached reads. */
export type ViewName = 'exchange' | 'dashboard' | 'me';
/** hit: served from Redis; miss: loaded from the store and cached; bypass: Redis known down, not asked; error: Redis failed, served by the store. */
export type ReadResult = 'hit' | 'miss' | 'bypass' | 'error';
/** What the cache was doing when Redis failed. */
export type CacheOperation = 'connect' | 'read' | 'store' | 'invalidate' | 'void';
/** `exchange`: one exchange's views after a write; `everything`: the epoch, after a reconnection or a missed invalidation. */
export type InvalidationScope = 'exchange' | 'everything';

export interface CacheMetrics {
  read(view: ViewName, result: ReadResult): void;
  error(operation: CacheOperation): void;
  invalidated(scope: InvalidationScope): void;
  /** Starts timing a load from the store; call the result when it is done. */
  startLoad(view: ViewName): () => void;
  available(up: boolean): void;
}

/** Same buckets as the store's own histogram, so the two compare directly. */
const LOAD_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function registered<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/**
 * `santa_cache_reads_total{view, result}`, `santa_cache_errors_total{operation}`,
 * `santa_cache_invalidations_total{scope}`, `santa_cache_load_duration_seconds{view}`
 * and the `santa_cache_available` gauge, on `registry` (a private one when none is
 * given). Registering twice on one registry reuses the first metrics.
 */
export function createCacheMetrics(registry: Registry = new Registry()): CacheMetrics {
  const reads = registered(
    registry,
    'santa_cache_reads_total',
    () =>
      new Counter({
        name: 'santa_cache_reads_total',
        help: 'Cached reads by view and result: hit, miss (loaded from the store), bypass (Redis known down) or error (Redis failed).',
        labelNames: ['view', 'result'],
        registers: [registry],
      }),
  );
  const errors = registered(
    registry,
    'santa_cache_errors_total',
    () =>
      new Counter({
        name: 'santa_cache_errors_total',
        help: 'Redis failures by what the cache was doing; each one was served by the store instead.',
        labelNames: ['operation'],
        registers: [registry],
      }),
  );
  const invalidations = registered(
    registry,
    'santa_cache_invalidations_total',
    () =>
      new Counter({
        name: 'santa_cache_invalidations_total',
        help: 'Invalidations by scope: one exchange after a write, or everything (new epoch).',
        labelNames: ['scope'],
        registers: [registry],
      }),
  );
  const loads = registered(
    registry,
    'santa_cache_load_duration_seconds',
    () =>
      new Histogram({
        name: 'santa_cache_load_duration_seconds',
        help: 'Time to load a view from the store after a miss.',
        labelNames: ['view'],
        buckets: LOAD_BUCKETS,
        registers: [registry],
      }),
  );
  const available = registered(
    registry,
    'santa_cache_available',
    () =>
      new Gauge({
        name: 'santa_cache_available',
        help: '1 while the cache serves reads from Redis, 0 while reads go straight to the store.',
        registers: [registry],
      }),
  );
  available.set(0);

  // Looking a labelled child up hashes its labels; keeping it makes a hit one Map lookup.
  const readChildren = new Map<string, Counter.Internal>();
  const readChild = (view: ViewName, result: ReadResult) => {
    const key = `${view} ${result}`;
    let child = readChildren.get(key);
    if (child === undefined) {
      child = reads.labels(view, result);
      readChildren.set(key, child);
    }
    return child;
  };

  return {
    read: (view, result) => readChild(view, result).inc(),
    error: (operation) => errors.labels(operation).inc(),
    invalidated: (scope) => invalidations.labels(scope).inc(),
    startLoad: (view) => loads.labels(view).startTimer(),
    available: (up) => available.set(up ? 1 : 0),
  };
}
