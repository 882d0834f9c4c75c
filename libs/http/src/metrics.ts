import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { isDomainError, type ExchangeStore } from '@santa/domain';

/**
 * Prometheus metrics. Everything registers on the registry the caller passes, and
 * registering twice reuses the first metric, so a stage can create several apps on
 * one registry and adapters (a cache) can add their own metrics beside these.
 */

/** From half a millisecond (a cached read) to a few seconds (a large draw, a slow database). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

function registered<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

export interface RequestMetrics {
  observe(method: string, route: string, status: number, seconds: number): void;
}

/**
 * `http_request_duration_seconds{method, route, status}` plus the default process
 * metrics. `route` is the route template (or `unmatched`), never the raw path, so the
 * number of series stays bounded whatever clients request.
 */
export function createRequestMetrics(registry: Registry, stageName?: string): RequestMetrics {
  if (registry.getSingleMetric('process_cpu_seconds_total') === undefined) collectDefaultMetrics({ register: registry });
  if (stageName !== undefined) {
    const info = registered(
      registry,
      'santa_stage_info',
      () => new Gauge({ name: 'santa_stage_info', help: 'The stage this process serves.', labelNames: ['stage'], registers: [registry] }),
    );
    info.labels(stageName).set(1);
  }
  const histogram = registered(
    registry,
    'http_request_duration_seconds',
    () =>
      new Histogram({
        name: 'http_request_duration_seconds',
        help: 'Time from receiving a request to finishing its response.',
        labelNames: ['method', 'route', 'status'],
        buckets: LATENCY_BUCKETS,
        registers: [registry],
      }),
  );
  // Looking a labelled child up hashes its labels; caching it keeps the hot path to one Map lookup.
  const children = new Map<string, Histogram.Internal<string>>();
  return {
    observe(method, route, status, seconds) {
      const key = `${method} ${route} ${status}`;
      let child = children.get(key);
      if (child === undefined) {
        child = histogram.labels(method, route, String(status));
        children.set(key, child);
      }
      child.observe(seconds);
    },
  };
}

const STORE_METHODS = [
  'ping',
  'close',
  'getIdempotencyRecord',
  'purgeIdempotencyRecords',
  'createExchange',
  'getExchange',
  'getExchangeByOrganizerTokenHash',
  'addParticipants',
  'listParticipants',
  'removeParticipant',
  'listExclusions',
  'replaceExclusions',
  'draw',
  'getMeView',
  'updateWishlist',
  'queueReminders',
  'claimOutboxMessages',
  'completeOutboxMessage',
  'failOutboxMessage',
  'countOutboxMessages',
] as const satisfies readonly (keyof ExchangeStore)[];

type StoreMethod = (typeof STORE_METHODS)[number];
// Fails to compile when the port gains a method this list does not instrument.
const everyMethodInstrumented: Exclude<keyof ExchangeStore, StoreMethod> extends never ? true : false = true;
void everyMethodInstrumented;

type AnyStoreMethod = (...args: unknown[]) => Promise<unknown>;

/**
 * Wraps a store so every call counts in `santa_store_operations_total{method}`, times
 * in `santa_store_operation_duration_seconds{method}`, and every failure counts in
 * `santa_store_errors_total{method, code}` (`code` is the DomainError code, or
 * `unexpected`). The draw's computation runs inside `draw`, so it is part of its time.
 */
export function instrumentStore(store: ExchangeStore, registry: Registry): ExchangeStore {
  const operations = registered(
    registry,
    'santa_store_operations_total',
    () =>
      new Counter({
        name: 'santa_store_operations_total',
        help: 'Calls to the store, by method.',
        labelNames: ['method'],
        registers: [registry],
      }),
  );
  const failures = registered(
    registry,
    'santa_store_errors_total',
    () =>
      new Counter({
        name: 'santa_store_errors_total',
        help: 'Store calls that threw, by method and error code.',
        labelNames: ['method', 'code'],
        registers: [registry],
      }),
  );
  const durations = registered(
    registry,
    'santa_store_operation_duration_seconds',
    () =>
      new Histogram({
        name: 'santa_store_operation_duration_seconds',
        help: 'Time a store call takes, by method.',
        labelNames: ['method'],
        buckets: LATENCY_BUCKETS,
        registers: [registry],
      }),
  );

  const instrumented: Partial<Record<StoreMethod, AnyStoreMethod>> = {};
  for (const method of STORE_METHODS) {
    const calls = operations.labels(method);
    const timer = durations.labels(method);
    const call = (store[method] as AnyStoreMethod).bind(store);
    instrumented[method] = async (...args) => {
      calls.inc();
      const started = performance.now();
      try {
        return await call(...args);
      } catch (error) {
        failures.labels(method, isDomainError(error) ? error.code : 'unexpected').inc();
        throw error;
      } finally {
        timer.observe((performance.now() - started) / 1000);
      }
    };
  }
  return instrumented as unknown as ExchangeStore;
}
