import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { INVALIDATE_SCRIPT, READ_VIEW_SCRIPT, REMEMBER_OWNERS_SCRIPT, STORE_FIRST_READ_SCRIPT, createTagSource, type CacheKeys } from './keys';
import type { CacheMetrics, CacheOperation } from './metrics';

/** Structured logging, as pino and most loggers offer it. */
export interface CacheLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface CacheConnectionOptions {
  redis: string | RedisOptions;
  keys: CacheKeys;
  metrics: CacheMetrics;
  logger: CacheLogger | undefined;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  /** After a failed command, reads leave Redis alone for this long. */
  cooldownMs: number;
  /** Lifetime of owner mappings and generations. */
  metadataTtlSeconds: number;
}

/** A view's place in Redis, as the read script found it. */
export interface LocatedView {
  exchangeId: string;
  /** The view's key under the current epoch and generation. */
  key: string;
  /** The stored view, or null on a miss. */
  cached: string | null;
}

/** What the read script saw when the token's exchange was unknown: a first read stores its view only if both are unchanged after the load. */
export interface FirstReadSnapshot {
  epoch: string;
  clock: string;
}

export interface ViewAddress {
  /** The exchange the view belongs to, when the caller knows it. */
  exchangeId?: string;
  /** Otherwise, the owner key (relative to the prefix) that maps a token to its exchange. */
  owner?: string;
  /** The view key stem, relative to the prefix. */
  stem: string;
}

interface CacheCommands {
  santaReadView(...args: string[]): Promise<[exchangeId: string, keyOrEpoch: string, cachedOrClock?: string | null]>;
  santaStoreFirstRead(...args: string[]): Promise<number>;
  santaRememberOwners(keyCount: number, ...args: string[]): Promise<number>;
  santaInvalidate(keyCount: number, ...args: string[]): Promise<number>;
}

/** Owner mappings per command: a 10,000-participant import becomes ten short commands, not 10,000. */
const OWNERS_PER_COMMAND = 1_000;

/** Reconnection: quick at first, then at most once a second, with jitter so replicas do not reconnect in step. */
function retryDelay(attempt: number): number {
  return Math.min(25 * 2 ** (attempt - 1), 1_000) + Math.floor(Math.random() * 100);
}

/**
 * The cache's connection to Redis, and the rules that make it safe to trust.
 *
 * Fail fast: no offline queue, no command retries, a short command timeout. While the
 * connection is down, and for a short cooldown after a command failed, reads do not
 * talk to Redis at all: they go straight to the store, so an outage costs no waiting.
 *
 * Trust: a connection serves views only after it has deleted the epoch, which makes
 * every view written before it unreachable. That covers whatever happened while this
 * process was not connected: a Redis that restarted with old entries, and
 * invalidations this process could not deliver (see `fence`).
 */
export class CacheConnection {
  private readonly client: Redis & CacheCommands;
  private readonly keys: CacheKeys;
  private readonly metrics: CacheMetrics;
  private readonly logger: CacheLogger | undefined;
  private readonly cooldownMs: number;
  private readonly metadataTtl: string;
  private readonly nextTag = createTagSource();
  private trusted = false;
  private coolUntil = 0;
  private reportedUsable: boolean | undefined;
  /** Counts connections opened and closed, so an answer from an old connection cannot trust a newer one. */
  private lifetime = 0;
  private replacedLifetime = -1;
  private announced: 'up' | 'down' | undefined;
  private closing = false;
  /** The last fence attempt scheduled, and the one that has not opened its connection yet. */
  private fenceTail: Promise<void> = Promise.resolve();
  private fenceNext: { keys: Set<string>; done: Promise<void> } | undefined;

  constructor(options: CacheConnectionOptions) {
    this.keys = options.keys;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.cooldownMs = options.cooldownMs;
    this.metadataTtl = String(options.metadataTtlSeconds);
    const failFast: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeoutMs,
      connectTimeout: options.connectTimeoutMs,
      retryStrategy: retryDelay,
      lazyConnect: false,
      connectionName: 'santa-cache',
      // Commands issued in the same turn of the event loop leave in one write, and Redis
      // answers them in one read: under load, far fewer system calls and process wake-ups
      // per request than one write per command.
      enableAutoPipelining: true,
    };
    const client =
      typeof options.redis === 'string'
        ? new Redis(options.redis, failFast)
        : new Redis({ ...options.redis, ...failFast });
    client.defineCommand('santaReadView', { numberOfKeys: 0, lua: READ_VIEW_SCRIPT });
    client.defineCommand('santaStoreFirstRead', { numberOfKeys: 0, lua: STORE_FIRST_READ_SCRIPT });
    client.defineCommand('santaRememberOwners', { lua: REMEMBER_OWNERS_SCRIPT });
    client.defineCommand('santaInvalidate', { lua: INVALIDATE_SCRIPT });
    this.client = client as Redis & CacheCommands;

    client.on('ready', () => this.earnTrust());
    client.on('close', () => {
      this.lifetime += 1;
      this.setTrusted(false);
    });
    // ioredis reports every failed connection attempt here; without a listener it would print them.
    client.on('error', (error: Error) => {
      this.metrics.error('connect');
      this.announce('down', error);
    });
  }

  /** True while reads may use Redis: the connection is trusted and no command failed in the last cooldown. */
  get usable(): boolean {
    const usable = this.trusted && performance.now() >= this.coolUntil;
    this.report(usable);
    return usable;
  }

  /** Runs the read script: the view's current key and what is stored there, or, when the owner is unknown, the snapshot a first read needs. */
  async locate(address: ViewAddress): Promise<LocatedView | FirstReadSnapshot> {
    const [exchangeId, keyOrEpoch, cachedOrClock] = await this.client.santaReadView(
      this.keys.prefix,
      address.exchangeId ?? '',
      address.owner ?? '',
      address.stem,
      this.nextTag(),
      this.metadataTtl,
    );
    if (exchangeId === '') return { epoch: keyOrEpoch, clock: cachedOrClock ?? '' };
    return { exchangeId, key: keyOrEpoch, cached: cachedOrClock ?? null };
  }

  /**
   * Stores a view whose token's exchange was unknown when the read began, unless an
   * invalidation happened since `snapshot`, and remembers the token's exchange either
   * way. It does not wait for Redis.
   */
  storeFirstRead(snapshot: FirstReadSnapshot, view: { exchangeId: string; owner: string; stem: string }, value: string, ttlSeconds: number): void {
    if (!this.trusted) return;
    this.client
      .santaStoreFirstRead(
        this.keys.prefix,
        snapshot.epoch,
        snapshot.clock,
        view.exchangeId,
        view.owner,
        view.stem,
        this.nextTag(),
        this.metadataTtl,
        String(ttlSeconds),
        value,
      )
      .catch((error: unknown) => this.failed(error, 'store'));
  }

  /** Stores a view under the key `locate` gave; it does not wait for Redis. */
  store(key: string, value: string, ttlSeconds: number): void {
    if (!this.trusted) return;
    this.client.set(key, value, 'EX', ttlSeconds).catch((error: unknown) => this.failed(error, 'store'));
  }

  /** Records that these tokens (owner keys relative to the prefix) belong to the exchange, which never changes. It does not wait for Redis. */
  rememberOwners(exchangeId: string, owners: readonly string[]): void {
    if (!this.trusted) return;
    for (let start = 0; start < owners.length; start += OWNERS_PER_COMMAND) {
      const keys = owners.slice(start, start + OWNERS_PER_COMMAND).map((owner) => this.keys.prefix + owner);
      this.client
        .santaRememberOwners(keys.length, ...keys, exchangeId, this.metadataTtl)
        .catch((error: unknown) => this.failed(error, 'store'));
    }
  }

  /**
   * Makes every view of the exchange unreachable by deleting its generation. Call it
   * after the write committed: it resolves once no reader can get a view older than
   * the write, or, when Redis cannot be reached, once this process has stopped
   * trusting its connection (see `fence`).
   */
  invalidateExchange(exchangeId: string): Promise<void> {
    return this.deleteTag(this.keys.generation(exchangeId), 'invalidate');
  }

  /** Makes every cached view unreachable by deleting the epoch. */
  voidEverything(): Promise<void> {
    return this.deleteTag(this.keys.epoch, 'void');
  }

  /** Counts a failed command; unless Redis itself answered with an error, reads leave Redis alone for a cooldown. */
  failed(error: unknown, operation: CacheOperation): void {
    this.metrics.error(operation);
    if (error instanceof ReplyError || this.closing) return;
    this.coolUntil = performance.now() + this.cooldownMs;
    this.report(false);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.trusted = false;
    this.report(false);
    await this.fenceTail;
    try {
      if (this.client.status === 'ready') await this.client.quit();
    } catch {
      // Closing anyway.
    } finally {
      this.client.disconnect();
    }
  }

  private async deleteTag(key: string, operation: CacheOperation): Promise<void> {
    // A write may try Redis during a read cooldown: it can afford the wait, and it saves a fence.
    if (this.trusted) {
      try {
        await this.client.santaInvalidate(2, key, this.keys.clock, this.nextTag());
        this.countInvalidation(key);
        return;
      } catch (error) {
        this.failed(error, operation);
      }
    }
    await this.fence(key);
  }

  /**
   * Deletes a tag whose deletion could not be sent, over a connection opened after
   * this call (so after the write committed). If even that fails, the invalidation is
   * lost: this process stops trusting its connection and replaces it, and the new one
   * deletes the epoch before it serves a view. Calls made before an attempt opens its
   * connection share that attempt; later calls wait for the next one.
   */
  private fence(key: string): Promise<void> {
    if (this.fenceNext) {
      this.fenceNext.keys.add(key);
      return this.fenceNext.done;
    }
    const keys = new Set([key]);
    const done = this.fenceTail.then(() => {
      this.fenceNext = undefined;
      return this.deleteOnFreshConnection([...keys]);
    });
    this.fenceNext = { keys, done };
    this.fenceTail = done;
    return done;
  }

  private async deleteOnFreshConnection(keys: string[]): Promise<void> {
    const probe = this.client.duplicate({
      lazyConnect: true,
      retryStrategy: () => null,
      enableReadyCheck: false,
      connectionName: 'santa-cache-fence',
    });
    probe.on('error', () => {
      // Counted once below.
    });
    try {
      await probe.connect();
      await probe.eval(INVALIDATE_SCRIPT, keys.length + 1, ...keys, this.keys.clock, this.nextTag());
      for (const key of keys) this.countInvalidation(key);
    } catch (error) {
      this.metrics.error(keys.includes(this.keys.epoch) ? 'void' : 'invalidate');
      this.loseTrust(error);
    } finally {
      probe.disconnect();
    }
  }

  private countInvalidation(key: string): void {
    this.metrics.invalidated(key === this.keys.epoch ? 'everything' : 'exchange');
  }

  /** Runs on every new connection: it serves views only once the epoch is gone. */
  private earnTrust(): void {
    this.lifetime += 1;
    const lifetime = this.lifetime;
    this.client.del(this.keys.epoch).then(
      () => {
        if (lifetime !== this.lifetime || this.closing) return;
        this.countInvalidation(this.keys.epoch);
        this.coolUntil = 0;
        this.setTrusted(true);
      },
      (error: unknown) => {
        this.metrics.error('connect');
        this.loseTrust(error);
      },
    );
  }

  /** Distrusts the current connection and replaces it: the next one earns trust afresh. */
  private loseTrust(error: unknown): void {
    if (this.closing) return;
    this.setTrusted(false, error);
    if (this.client.status === 'ready' && this.replacedLifetime !== this.lifetime) {
      this.replacedLifetime = this.lifetime;
      this.client.disconnect(true);
    }
  }

  private setTrusted(trusted: boolean, error?: unknown): void {
    this.trusted = trusted;
    this.report(trusted && performance.now() >= this.coolUntil);
    this.announce(trusted ? 'up' : 'down', error);
  }

  /** Keeps the availability gauge current; the end of a cooldown shows at the next read. */
  private report(usable: boolean): void {
    if (usable === this.reportedUsable) return;
    this.reportedUsable = usable;
    this.metrics.available(usable);
  }

  private announce(state: 'up' | 'down', error?: unknown): void {
    if (this.announced === state || this.closing) return;
    // Before the first connection, "down" is only news when something failed.
    if (this.announced === undefined && state === 'down' && error === undefined) return;
    this.announced = state;
    if (state === 'up') this.logger?.info({}, 'cache available: hot reads are served from Redis');
    else this.logger?.warn({ err: error }, 'cache unavailable: reads go to the store until Redis answers again');
  }
}
