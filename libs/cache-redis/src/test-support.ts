import { connect, createServer, type Server, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { expect, vi } from 'vitest';
import type { ExchangeStore } from '@santa/domain';
import { createCachedStore, type CachedStoreOptions } from './cached-store';

/** The value of one series of a counter or gauge on `registry` (0 when it has no sample yet). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((sample) => Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/** Waits until the cache serves reads from Redis (its connection is up and trusted). */
export async function cacheAvailable(registry: Registry): Promise<void> {
  await vi.waitFor(async () => expect(await metricValue(registry, 'santa_cache_available')).toBe(1), {
    timeout: 10_000,
    interval: 5,
  });
}

type Method = keyof ExchangeStore;

/** A call held by `ObservedStore.hold`. */
export interface Gate {
  /** True once the held call has reached the gate. */
  reached(): boolean;
  release(): void;
}

/** A store that counts the calls reaching it, and can hold one of them at a gate the test opens. */
export interface ObservedStore {
  store: ExchangeStore;
  calls(method: Method): number;
  /**
   * Holds the next call of `method`, either before it runs (`before`: it has not read
   * or written anything yet) or after it ran (`after`: it read the state as of then,
   * or committed, and its answer waits).
   */
  hold(method: Method, when?: 'before' | 'after'): Gate;
}

export function observe(inner: ExchangeStore): ObservedStore {
  const counts = new Map<Method, number>();
  const gates = new Map<Method, { when: 'before' | 'after'; reached: boolean; open: Promise<void> }>();
  const store = Object.fromEntries(
    (Object.keys(inner) as Method[]).map((method) => [
      method,
      async (...args: unknown[]) => {
        counts.set(method, (counts.get(method) ?? 0) + 1);
        const gate = gates.get(method);
        gates.delete(method);
        if (gate) gate.reached = true;
        if (gate?.when === 'before') await gate.open;
        const result = await (inner[method] as (...args: unknown[]) => Promise<unknown>)(...args);
        if (gate?.when === 'after') await gate.open;
        return result;
      },
    ]),
  ) as unknown as ExchangeStore;
  return {
    store,
    calls: (method) => counts.get(method) ?? 0,
    hold(method, when = 'after') {
      let release!: () => void;
      const gate = { when, reached: false, open: new Promise<void>((resolve) => (release = resolve)) };
      gates.set(method, gate);
      return { reached: () => gate.reached, release };
    },
  };
}

let prefixes = 0;

/**
 * A cached store over `inner`, with its own registry and key prefix (unless given),
 * ready to serve from Redis. Its command timeout is generous unless given: on a busy
 * test machine the event loop can stall past a short one, and a test that counts hits
 * would then see the cooldown's bypasses instead.
 */
export async function openCachedStore(
  inner: ExchangeStore,
  options: Partial<CachedStoreOptions> & Pick<CachedStoreOptions, 'redis'>,
): Promise<{ store: ExchangeStore; registry: Registry }> {
  const registry = options.registry ?? new Registry();
  prefixes += 1;
  const store = createCachedStore(inner, {
    ttlSeconds: 60,
    commandTimeoutMs: 5_000,
    keyPrefix: `test:${process.pid}:${prefixes}:`,
    ...options,
    registry,
  });
  await cacheAvailable(registry);
  return { store, registry };
}

/**
 * A TCP proxy in front of Redis that plays the network: `cut()` drops every
 * connection and refuses new ones while Redis keeps running with all its data;
 * `stall()` stops delivering bytes on the connections open now (commands time out)
 * while new connections work; `heal()` lets connections through again.
 */
export class NetworkSwitch {
  private server: Server | undefined;
  private readonly pairs = new Set<[client: Socket, upstream: Socket]>();

  private constructor(
    private port: number,
    private readonly upstreamPort: number,
  ) {}

  /** Listens on a port the OS picks, and keeps that port across cuts. */
  static async start(upstreamPort: number): Promise<NetworkSwitch> {
    const network = new NetworkSwitch(0, upstreamPort);
    await network.heal();
    return network;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async heal(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = connect(this.upstreamPort, '127.0.0.1');
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      for (const socket of pair) {
        socket.on('error', drop);
        socket.on('close', drop);
      }
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address === 'object' && address) this.port = address.port;
  }

  stall(): void {
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
