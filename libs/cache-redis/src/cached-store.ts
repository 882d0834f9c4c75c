import type { RedisOptions } from 'ioredis';
import type { Registry } from 'prom-client';
import {
  StoreUnavailableError,
  isBulkStore,
  isDomainError,
  type BulkStore,
  type ExchangeRecord,
  type ExchangeStore,
  type MeView,
  type ParticipantRecord,
} from '@santa/domain';
import { CacheConnection, type CacheLogger, type ViewAddress } from './connection';
import { DEFAULT_KEY_PREFIX, cacheKeys, relativeKeys } from './keys';
import { createCacheMetrics, type ViewName } from './metrics';
import { SingleFlight } from './single-flight';

export interface CachedStoreOptions {
  /** A `redis://` URL or ioredis connection options. The cache opens and owns its connection. */
  redis: string | RedisOptions;
  /** How long a cached view lives at most. */
  ttlSeconds: number;
  /** Each view lives up to this fraction of `ttlSeconds` less, at random, so entries cached together do not expire together. Default 0.1. */
  ttlJitter?: number;
  /** How long token-to-exchange mappings and exchange generations live. Default one day. */
  metadataTtlSeconds?: number;
  /** Every key starts with it; stores with different prefixes share nothing. Default `santa:cache:v1:`. */
  keyPrefix?: string;
  /** A Redis command that takes longer fails, and the read goes to the store. Default 250 ms. */
  commandTimeoutMs?: number;
  /** Default 500 ms. */
  connectTimeoutMs?: number;
  /** After a Redis command failed, reads go straight to the store for this long. Default 1000 ms. */
  cooldownMs?: number;
  /** Where the cache's metrics register (the app's `/metrics` registry). */
  registry?: Registry;
  /** Told when the cache becomes unavailable and available again. */
  logger?: CacheLogger;
}

/** The cache over a store that also moves whole tables. */
export type CachedBulkStore = ExchangeStore & BulkStore;

interface ViewRead<T> {
  view: ViewName;
  address: ViewAddress;
  load(): Promise<T | null>;
  /** The exchange a loaded view belongs to, to remember its owner mapping. */
  exchangeIdOf(value: T): string;
}

/**
 * A cache-aside decorator over any store. The hot reads (`getMeView`,
 * `getExchangeByOrganizerTokenHash`, `getExchange`) are served from Redis; every
 * write invalidates the views of the exchange it touched before it resolves; every
 * other call goes to `inner` unchanged. Redis failing is never an error for the
 * caller: the call is served by `inner`. README.md explains the design and why a
 * client always reads its own writes, also across processes sharing one Redis.
 *
 * Over a store that also moves whole tables (`BulkStore`), the decorator does too:
 * bulk reads pass through, and a bulk write, which may touch any exchange, voids
 * every view (deletes the epoch) before it resolves.
 */
export function createCachedStore(inner: ExchangeStore & BulkStore, options: CachedStoreOptions): CachedBulkStore;
export function createCachedStore(inner: ExchangeStore, options: CachedStoreOptions): ExchangeStore;
export function createCachedStore(inner: ExchangeStore, options: CachedStoreOptions): ExchangeStore {
  const ttlSeconds = options.ttlSeconds;
  const ttlJitter = options.ttlJitter ?? 0.1;
  const metadataTtlSeconds = options.metadataTtlSeconds ?? 86_400;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new RangeError('ttlSeconds must be a whole number of seconds, at least 1.');
  if (!(ttlJitter >= 0 && ttlJitter < 1)) throw new RangeError('ttlJitter must be at least 0 and less than 1.');
  if (!Number.isInteger(metadataTtlSeconds) || metadataTtlSeconds < 1) {
    throw new RangeError('metadataTtlSeconds must be a whole number of seconds, at least 1.');
  }

  const keys = cacheKeys(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const metrics = createCacheMetrics(options.registry);
  const connection = new CacheConnection({
    redis: options.redis,
    keys,
    metrics,
    logger: options.logger,
    commandTimeoutMs: options.commandTimeoutMs ?? 250,
    connectTimeoutMs: options.connectTimeoutMs ?? 500,
    cooldownMs: options.cooldownMs ?? 1_000,
    // A generation outliving its views keeps a hot exchange from losing them all at once when it expires.
    metadataTtlSeconds: Math.max(metadataTtlSeconds, 2 * ttlSeconds),
  });
  const flights = new SingleFlight<string>();
  const writesInFlight = new Set<Promise<unknown>>();

  const jitteredTtl = () => Math.max(1, Math.round(ttlSeconds * (1 - ttlJitter * Math.random())));

  async function load<T>(read: ViewRead<T>): Promise<T | null> {
    const done = metrics.startLoad(read.view);
    try {
      return await read.load();
    } finally {
      done();
    }
  }

  async function cachedRead<T>(read: ViewRead<T>): Promise<T | null> {
    if (!connection.usable) {
      metrics.read(read.view, 'bypass');
      return read.load();
    }
    let located;
    try {
      located = await connection.locate(read.address);
    } catch (error) {
      connection.failed(error, 'read');
      metrics.read(read.view, 'error');
      return read.load();
    }

    if (!('key' in located)) {
      // The token's exchange is not known yet (issued before this cache saw it, or its
      // mapping was evicted), so there was no generation to read before the load. The
      // snapshot of the epoch and the clock stands in for it: the view is stored only if
      // no invalidation happened between the snapshot and the store.
      metrics.read(read.view, 'miss');
      const owner = read.address.owner;
      const json = await flights.run(`first:${owner}:${located.epoch}:${located.clock}`, async () => {
        const value = await load(read);
        const serialized = JSON.stringify(value);
        if (value !== null && owner !== undefined) {
          connection.storeFirstRead(
            located,
            { exchangeId: read.exchangeIdOf(value), owner, stem: read.address.stem },
            serialized,
            jitteredTtl(),
          );
        }
        return serialized;
      });
      return JSON.parse(json) as T | null;
    }

    if (located.cached !== null) {
      try {
        const value = JSON.parse(located.cached) as T | null;
        metrics.read(read.view, 'hit');
        return value;
      } catch {
        // Not something this cache wrote: count it, load the view and overwrite the entry.
        metrics.error('read');
      }
    }

    metrics.read(read.view, 'miss');
    // Only callers that found the same key share a load: the key carries the tag they
    // read, so a load started before a write committed never answers a read that began after it.
    const json = await flights.run(located.key, async () => {
      const serialized = JSON.stringify(await load(read));
      connection.store(located.key, serialized, jitteredTtl());
      return serialized;
    });
    // Every caller gets its own copy.
    return JSON.parse(json) as T | null;
  }

  /** Remembers a write until it settles, so `close()` lets it finish invalidating. */
  function tracked<R>(run: () => Promise<R>): Promise<R> {
    const writing = run();
    writesInFlight.add(writing);
    const forget = () => writesInFlight.delete(writing);
    writing.then(forget, forget);
    return writing;
  }

  /**
   * Runs a write, then invalidates the views of its exchange before the caller sees the
   * result. A write that failed with a DomainError changed nothing (the port's rule);
   * any other failure may have happened after the commit, so it invalidates too.
   */
  function write<R>(
    exchange: string | ((result: R) => string | null),
    run: () => Promise<R>,
    ownersOf?: (result: R) => string[],
  ): Promise<R> {
    return tracked(async () => {
      let result: R;
      try {
        result = await run();
      } catch (error) {
        if (!isDomainError(error) || error instanceof StoreUnavailableError) {
          await (typeof exchange === 'string' ? connection.invalidateExchange(exchange) : connection.voidEverything());
        }
        throw error;
      }
      const exchangeId = typeof exchange === 'string' ? exchange : exchange(result);
      if (exchangeId !== null) {
        if (ownersOf) connection.rememberOwners(exchangeId, ownersOf(result));
        await connection.invalidateExchange(exchangeId);
      }
      return result;
    });
  }

  const store: ExchangeStore = {
    ping: () => inner.ping(),

    async close() {
      await inner.close();
      // Writes that were in flight still invalidate before the connection goes.
      await Promise.allSettled([...writesInFlight]);
      await connection.close();
    },

    async getIdempotencyRecord(keyHash, notBefore) {
      const record = await inner.getIdempotencyRecord(keyHash, notBefore);
      // A replay answers for a write that may have died between its commit and its
      // invalidation, and the record does not say which exchange it touched.
      if (record !== null) await connection.voidEverything();
      return record;
    },

    purgeIdempotencyRecords: (before) => inner.purgeIdempotencyRecords(before),

    createExchange: (exchange, idempotency) =>
      write(
        exchange.id,
        () => inner.createExchange(exchange, idempotency),
        () => [relativeKeys.organizerOwner(exchange.organizerTokenHash)],
      ),

    getExchange: (exchangeId) =>
      cachedRead<ExchangeRecord>({
        view: 'exchange',
        address: { exchangeId, stem: relativeKeys.exchangeView(exchangeId) },
        load: () => inner.getExchange(exchangeId),
        exchangeIdOf: (record) => record.id,
      }),

    getExchangeByOrganizerTokenHash: (tokenHash) =>
      cachedRead<ExchangeRecord>({
        view: 'dashboard',
        address: { owner: relativeKeys.organizerOwner(tokenHash), stem: relativeKeys.dashboardView(tokenHash) },
        load: () => inner.getExchangeByOrganizerTokenHash(tokenHash),
        exchangeIdOf: (record) => record.id,
      }),

    addParticipants: (exchangeId, participants, idempotency) =>
      write(
        exchangeId,
        () => inner.addParticipants(exchangeId, participants, idempotency),
        (added) => added.map((participant) => relativeKeys.participantOwner(participant.tokenHash)),
      ),

    listParticipants: (exchangeId, page) => inner.listParticipants(exchangeId, page),

    removeParticipant: (exchangeId, participantId) =>
      write(exchangeId, () => inner.removeParticipant(exchangeId, participantId)),

    listExclusions: (exchangeId) => inner.listExclusions(exchangeId),

    replaceExclusions: (exchangeId, exclusions) =>
      write(exchangeId, () => inner.replaceExclusions(exchangeId, exclusions)),

    draw: (exchangeId, drawnAt, compute, idempotency) =>
      write(exchangeId, () => inner.draw(exchangeId, drawnAt, compute, idempotency)),

    getMeView: (participantTokenHash) =>
      cachedRead<MeView>({
        view: 'me',
        address: {
          owner: relativeKeys.participantOwner(participantTokenHash),
          stem: relativeKeys.meView(participantTokenHash),
        },
        load: () => inner.getMeView(participantTokenHash),
        exchangeIdOf: (view) => view.exchange.id,
      }),

    // The wishlist shows in the participant's view, their giver's view and the exchange's wishlistCount: all views of one exchange.
    // The token may be a participant's own or a link token e-mailed to them: either way the
    // store answers with the participant, whose exchange's views (those read through link
    // tokens included, which carry the same exchange generation) are invalidated.
    updateWishlist: (participantTokenHash, wishlist) =>
      write(
        (updated: ParticipantRecord | null) => updated?.exchangeId ?? null,
        () => inner.updateWishlist(participantTokenHash, wishlist),
      ),

    queueReminders: (exchangeId, queuedAt, idempotency) =>
      write(exchangeId, () => inner.queueReminders(exchangeId, queuedAt, idempotency)),

    // Claims add link tokens, which no cached view can answer for yet (an unknown token's
    // null is never cached), and sending changes no view: both pass through.
    claimOutboxMessages: (claim) => inner.claimOutboxMessages(claim),

    completeOutboxMessage: (messageId, sentAt) => inner.completeOutboxMessage(messageId, sentAt),

    // A failure removes the attempt's link token: a view cached under it must stop answering.
    // The link's exchange is read before the link goes, and its views are invalidated after.
    failOutboxMessage: (messageId, failure) =>
      tracked(async () => {
        const view = await inner.getMeView(failure.linkTokenHash);
        const exchangeId = view?.exchange.id;
        try {
          await inner.failOutboxMessage(messageId, failure);
        } finally {
          if (exchangeId !== undefined) await connection.invalidateExchange(exchangeId);
        }
      }),

    countOutboxMessages: () => inner.countOutboxMessages(),
  };
  if (!isBulkStore(inner)) return store;

  const bulk: BulkStore = {
    dataVersion: () => inner.dataVersion(),
    countRows: (table) => inner.countRows(table),
    readRows: (table, afterKey, limit) => inner.readRows(table, afterKey, limit),
    lastRowKey: (table) => inner.lastRowKey(table),
    writeRows: (table, rows) =>
      tracked(async () => {
        let result: Awaited<ReturnType<BulkStore['writeRows']>>;
        try {
          result = await inner.writeRows(table, rows);
        } catch (error) {
          // A failed call wrote nothing, unless it failed at its commit: it may have.
          await connection.voidEverything();
          throw error;
        }
        if (result.written > 0) await connection.voidEverything();
        return result;
      }),
  };
  return { ...store, ...bulk };
}
