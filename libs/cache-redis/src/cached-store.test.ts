import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DomainError, hashSecret, isoNow, newParticipantToken, type ExchangeStore, type ParticipantRecord } from '@santa/domain';
import { drawInCircle, newExchangeRecord, newIdempotencyIntent, newParticipantRecord, newParticipantRecords } from '@santa/domain/testing';
import { startRedis, type RunningRedis } from '@santa/services';
import { createMemoryStore } from '@santa/store-memory';
import { createCachedStore } from './cached-store';
import { metricValue, observe, openCachedStore, type ObservedStore } from './test-support';

let redis: RunningRedis;
let inspector: Redis;
const opened: ExchangeStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
  inspector = new Redis(redis.url);
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});
afterAll(async () => {
  inspector?.disconnect();
  await redis?.stop();
});

interface Setup {
  /** The database: answers as of now, without the cache. */
  truth: ExchangeStore;
  observed: ObservedStore;
  cached: ExchangeStore;
  registry: Registry;
  prefix: string;
}

let prefixes = 0;

async function setup(options: { ttlSeconds?: number; ttlJitter?: number } = {}): Promise<Setup> {
  const truth = createMemoryStore();
  const observed = observe(truth);
  prefixes += 1;
  const prefix = `behaviour:${prefixes}:`;
  const { store, registry } = await openCachedStore(observed.store, { redis: redis.url, keyPrefix: prefix, ...options });
  opened.push(store);
  return { truth, observed, cached: store, registry, prefix };
}

/** Another app process: its own connection and metrics, the same database and Redis. */
async function anotherProcess(of: Setup): Promise<ExchangeStore> {
  const { store } = await openCachedStore(of.observed.store, { redis: redis.url, keyPrefix: of.prefix });
  opened.push(store);
  return store;
}

async function seedExchange(store: ExchangeStore, wishlists: string[]) {
  const exchange = await store.createExchange(newExchangeRecord());
  const participants = await store.addParticipants(
    exchange.id,
    wishlists.map((wishlist) => newParticipantRecord(exchange.id, { wishlist })),
  );
  return { exchange, participants };
}

/** Reads every cached view of the exchange, so each is in Redis. */
async function readAll(store: ExchangeStore, exchange: { id: string; organizerTokenHash: string }, participants: ParticipantRecord[]) {
  return {
    exchange: await store.getExchange(exchange.id),
    dashboard: await store.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash),
    me: await Promise.all(participants.map((participant) => store.getMeView(participant.tokenHash))),
  };
}

/** Draws the exchange and claims its e-mails: every participant gets a link token, as the mail worker would mint. */
async function mailLinks(store: ExchangeStore, exchangeId: string, participants: ParticipantRecord[]) {
  const drawnAt = isoNow();
  await store.draw(exchangeId, drawnAt, drawInCircle);
  const deliveries = await store.claimOutboxMessages({
    now: drawnAt,
    leaseUntil: new Date(Date.parse(drawnAt) + 60_000).toISOString(),
    linkTokenHashes: participants.map(() => hashSecret(newParticipantToken())),
  });
  return participants.map((participant) => {
    const delivery = deliveries.find((candidate) => candidate.participant.id === participant.id);
    if (!delivery) throw new Error(`no e-mail was claimed for ${participant.id}`);
    return delivery;
  });
}

const reads = (registry: Registry, result: string) => metricValue(registry, 'santa_cache_reads_total', { result });

describe('cached reads', () => {
  it('serve each view from Redis after the first read: the store is asked once', async () => {
    const { observed, cached, registry, truth } = await setup();
    const { exchange, participants } = await seedExchange(cached, ['Socks', '']);

    const first = await readAll(cached, exchange, participants);
    const second = await readAll(cached, exchange, participants);
    const third = await readAll(cached, exchange, participants);

    expect(first).toEqual(await readAll(truth, exchange, participants));
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(observed.calls('getExchange')).toBe(1);
    expect(observed.calls('getExchangeByOrganizerTokenHash')).toBe(1);
    expect(observed.calls('getMeView')).toBe(2);
    expect(await reads(registry, 'miss')).toBe(4);
    expect(await reads(registry, 'hit')).toBe(8);
  });

  it('cache a token written past the cache from its first read, and remember its exchange', async () => {
    const { observed, cached, truth, prefix } = await setup();
    const { exchange, participants } = await seedExchange(truth, ['Tea']);
    const [ann] = participants;

    const views = [];
    for (let read = 0; read < 4; read += 1) views.push(await cached.getMeView(ann.tokenHash));
    views.push(await cached.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash));
    views.push(await cached.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash));
    views.push(await cached.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash));

    expect(views.slice(0, 4)).toEqual(Array(4).fill(await truth.getMeView(ann.tokenHash)));
    expect(views.slice(4)).toEqual(Array(3).fill(await truth.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash)));
    expect(observed.calls('getMeView')).toBe(1);
    expect(observed.calls('getExchangeByOrganizerTokenHash')).toBe(1);
    expect(await inspector.get(`${prefix}owner:participant:${ann.tokenHash}`)).toBe(exchange.id);
  });

  it('after an invalidation during a first read, do not store that view, but remember the token’s exchange', async () => {
    const context = await setup();
    const { truth, observed, cached } = context;
    const { exchange, participants } = await seedExchange(truth, ['Tea', '']);
    const [ann, bob] = participants;

    // Ann's first read loads; meanwhile Bob's wishlist changes through the cache.
    const gate = observed.hold('getMeView');
    const first = cached.getMeView(ann.tokenHash);
    await vi.waitFor(() => expect(gate.reached()).toBe(true));
    await cached.updateWishlist(bob.tokenHash, 'Scarf');
    gate.release();
    await first;

    await vi.waitFor(async () => expect(await inspector.get(`${context.prefix}owner:participant:${ann.tokenHash}`)).toBe(exchange.id));
    expect(await inspector.keys(`${context.prefix}me:${ann.tokenHash}:*`)).toEqual([]);
    // The next read knows the exchange: it loads and stores; the one after it hits.
    await cached.getMeView(ann.tokenHash);
    await cached.getMeView(ann.tokenHash);
    expect(observed.calls('getMeView')).toBe(2);
  });

  it('answer null for unknown tokens and ids, as the store does', async () => {
    const { cached, truth } = await setup();
    const { exchange } = await seedExchange(cached, ['']);

    for (let read = 0; read < 2; read += 1) {
      expect(await cached.getMeView(exchange.organizerTokenHash)).toBeNull();
      expect(await cached.getExchangeByOrganizerTokenHash(exchange.inviteCodeHash)).toBeNull();
      expect(await cached.getExchange(newExchangeRecord().id)).toBeNull();
    }
    expect(await truth.getMeView(exchange.organizerTokenHash)).toBeNull();
  });

  it('give every caller its own copy', async () => {
    const { cached } = await setup();
    const { participants } = await seedExchange(cached, ['Tea']);
    const tokenHash = participants[0].tokenHash;

    const [one, two] = await Promise.all([cached.getMeView(tokenHash), cached.getMeView(tokenHash)]);
    if (one) one.participant.wishlist = 'Changed';
    const three = await cached.getMeView(tokenHash);
    if (three) three.exchange.name = 'Changed';

    expect(two?.participant.wishlist).toBe('Tea');
    expect((await cached.getMeView(tokenHash))?.exchange.name).not.toBe('Changed');
  });

  it('store views with a jittered TTL, and token mappings and generations with the metadata TTL', async () => {
    const { cached, prefix } = await setup({ ttlSeconds: 1_000, ttlJitter: 0.5 });
    const { participants } = await seedExchange(cached, ['', '', '', '']);
    for (const participant of participants) await cached.getMeView(participant.tokenHash);

    let viewTtls: number[] = [];
    await vi.waitFor(async () => {
      const viewKeys = await inspector.keys(`${prefix}me:*`);
      expect(viewKeys).toHaveLength(participants.length);
      viewTtls = await Promise.all(viewKeys.map((key) => inspector.ttl(key)));
    });
    const [owner] = await inspector.keys(`${prefix}owner:participant:*`);
    const [generation] = await inspector.keys(`${prefix}gen:*`);

    for (const ttl of viewTtls) {
      expect(ttl).toBeGreaterThanOrEqual(499);
      expect(ttl).toBeLessThanOrEqual(1_000);
    }
    expect(await inspector.ttl(owner)).toBeGreaterThan(86_000);
    expect(await inspector.ttl(generation)).toBeGreaterThan(86_000);
  });
});

describe('invalidation: after every write, every view shows it', () => {
  /** Warms every view in both processes, writes, then checks every view in both processes against the database. */
  async function expectFreshAfter(
    write: (store: ExchangeStore, seeded: Awaited<ReturnType<typeof seedExchange>>) => Promise<unknown>,
    wishlists = ['Socks', '', 'Tea', ''],
  ) {
    const context = await setup();
    const other = await anotherProcess(context);
    const seeded = await seedExchange(context.cached, wishlists);
    const everyone = seeded.participants;
    await readAll(context.cached, seeded.exchange, everyone);
    await readAll(other, seeded.exchange, everyone);
    const loadsBefore = context.observed.calls('getMeView');

    await write(context.cached, seeded);

    const truth = await readAll(context.truth, seeded.exchange, everyone);
    expect(await readAll(context.cached, seeded.exchange, everyone)).toEqual(truth);
    expect(await readAll(other, seeded.exchange, everyone)).toEqual(truth);
    return { ...seeded, truth, loads: context.observed.calls('getMeView') - loadsBefore };
  }

  it('a wishlist change reaches the giver’s view and the dashboard’s wishlistCount', async () => {
    const { participants, truth, loads } = await expectFreshAfter(async (store, { exchange, participants: [, bob] }) => {
      await store.draw(exchange.id, isoNow(), drawInCircle);
      await store.updateWishlist(bob.tokenHash, 'A red scarf');
    });

    expect(truth.me[0]?.giftee).toEqual({ id: participants[1].id, name: participants[1].name, wishlist: 'A red scarf' });
    expect(truth.dashboard?.wishlistCount).toBe(3);
    expect(loads).toBeGreaterThan(0);
  });

  it('a join changes the dashboard and every participant’s exchange counts', async () => {
    const { truth } = await expectFreshAfter((store, { exchange }) =>
      store.addParticipants(exchange.id, [newParticipantRecord(exchange.id, { wishlist: 'Books' })]),
    );

    expect(truth.dashboard?.participantCount).toBe(5);
    expect(truth.dashboard?.wishlistCount).toBe(3);
    expect(truth.me.map((view) => view?.exchange.participantCount)).toEqual([5, 5, 5, 5]);
  });

  it('a removal changes the counts, and the removed participant’s view is gone', async () => {
    const { truth } = await expectFreshAfter((store, { exchange, participants }) =>
      store.removeParticipant(exchange.id, participants[0].id),
    );

    expect(truth.me[0]).toBeNull();
    expect(truth.dashboard).toMatchObject({ participantCount: 3, wishlistCount: 1 });
    expect(truth.me[1]?.exchange).toMatchObject({ participantCount: 3, wishlistCount: 1 });
  });

  it('an exclusion change changes exclusionCount, and a removal that drops exclusions changes it again', async () => {
    const { truth } = await expectFreshAfter(async (store, { exchange, participants: [ann, bob, cy] }) => {
      await store.replaceExclusions(exchange.id, [
        { giverId: ann.id, receiverId: bob.id },
        { giverId: cy.id, receiverId: ann.id },
        { giverId: bob.id, receiverId: cy.id },
      ]);
      await store.removeParticipant(exchange.id, cy.id);
    });

    expect(truth.dashboard?.exclusionCount).toBe(1);
    expect(truth.me[0]?.exchange.exclusionCount).toBe(1);
  });

  it('the draw changes status, drawnAt and every giftee', async () => {
    const drawnAt = isoNow();
    const { truth, participants } = await expectFreshAfter((store, { exchange }) =>
      store.draw(exchange.id, drawnAt, drawInCircle),
    );

    expect(truth.dashboard).toMatchObject({ status: 'drawn', drawnAt });
    expect(truth.me.map((view) => view?.giftee?.id)).toEqual([...participants.slice(1), participants[0]].map((p) => p.id));
  });

  it('a batch import is visible to views cached before it, and its tokens are cached from their first read', async () => {
    const context = await setup();
    const { exchange, participants } = await seedExchange(context.cached, ['']);
    await readAll(context.cached, exchange, participants);
    const imported = await context.cached.addParticipants(exchange.id, newParticipantRecords(exchange.id, 2_500));

    const dashboard = await context.cached.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash);
    const sample = imported.filter((_, index) => index % 250 === 0);
    for (const participant of sample) await context.cached.getMeView(participant.tokenHash);
    const loads = context.observed.calls('getMeView');
    for (const participant of sample) await context.cached.getMeView(participant.tokenHash);

    expect(dashboard?.participantCount).toBe(2_501);
    expect(context.observed.calls('getMeView')).toBe(loads);
    expect(await metricValue(context.registry, 'santa_cache_errors_total')).toBe(0);
  });

  it('a wishlist change through a link token or the own token reaches the views read through both', async () => {
    const context = await setup();
    const other = await anotherProcess(context);
    const { exchange, participants } = await seedExchange(context.cached, ['Socks', '', 'Tea']);
    const [, bob] = participants;
    const links = await mailLinks(context.cached, exchange.id, participants);
    const bobLink = links[1].linkTokenHash;
    const views = (store: ExchangeStore) =>
      Promise.all([bobLink, bob.tokenHash, participants[0].tokenHash].map((hash) => store.getMeView(hash)));
    await Promise.all([views(context.cached), views(other), views(context.cached), views(other)]);
    const loads = context.observed.calls('getMeView');

    await context.cached.updateWishlist(bobLink, 'Through the link');
    for (const store of [context.cached, other]) {
      const [byLink, byOwn, giver] = await views(store);
      expect(byLink?.participant.wishlist).toBe('Through the link');
      expect(byOwn).toEqual(byLink);
      expect(giver?.giftee?.wishlist).toBe('Through the link');
      expect(byLink?.exchange.wishlistCount).toBe(3);
    }

    await other.updateWishlist(bob.tokenHash, '');
    for (const store of [context.cached, other]) {
      const [byLink, byOwn, giver] = await views(store);
      expect(byLink).toEqual(await context.truth.getMeView(bob.tokenHash));
      expect(byOwn).toEqual(byLink);
      expect(giver?.giftee?.wishlist).toBe('');
    }
    // Views through link tokens are cached like the others.
    await views(context.cached);
    expect(context.observed.calls('getMeView')).toBeGreaterThan(loads);
    const settled = context.observed.calls('getMeView');
    await views(context.cached);
    expect(context.observed.calls('getMeView')).toBe(settled);
  });

  it('a link token whose e-mail failed stops opening the view, also where it was cached', async () => {
    const context = await setup();
    const other = await anotherProcess(context);
    const { exchange, participants } = await seedExchange(context.cached, ['', '']);
    const [failed, sent] = await mailLinks(context.cached, exchange.id, participants);
    for (const store of [context.cached, other, context.cached, other]) {
      expect(await store.getMeView(failed.linkTokenHash)).not.toBeNull();
    }

    await context.cached.failOutboxMessage(failed.message.id, { linkTokenHash: failed.linkTokenHash, error: 'timeout', retryAt: null });
    await context.cached.completeOutboxMessage(sent.message.id, isoNow());

    for (const store of [context.cached, other]) {
      expect(await store.getMeView(failed.linkTokenHash)).toBeNull();
      expect(await store.updateWishlist(failed.linkTokenHash, 'Nope')).toBeNull();
      expect(await store.getMeView(sent.linkTokenHash)).toEqual(await context.truth.getMeView(participants[1].tokenHash));
    }
  });

  it('an exchange read as unknown is found once it is created', async () => {
    const { cached } = await setup();
    const exchange = newExchangeRecord();

    expect(await cached.getExchange(exchange.id)).toBeNull();
    await cached.createExchange(exchange);

    expect(await cached.getExchange(exchange.id)).toMatchObject({ id: exchange.id, participantCount: 0 });
  });

  it('a write refused with a DomainError changed nothing and keeps the cached views', async () => {
    const { cached, observed } = await setup();
    const { exchange, participants } = await seedExchange(cached, ['', '', '']);
    await readAll(cached, exchange, participants);
    const loads = observed.calls('getMeView');

    await expect(
      cached.addParticipants(exchange.id, [newParticipantRecord(exchange.id, { email: participants[0].email })]),
    ).rejects.toMatchObject({ code: 'duplicate_email' });
    await readAll(cached, exchange, participants);

    expect(observed.calls('getMeView')).toBe(loads);
  });

  it('a write that failed in an unknown state (after its commit, maybe) invalidates all the same', async () => {
    const truth = createMemoryStore();
    const failingAfterCommit: ExchangeStore = {
      ...truth,
      async updateWishlist(tokenHash, wishlist) {
        await truth.updateWishlist(tokenHash, wishlist);
        throw new Error('connection lost during COMMIT');
      },
    };
    const { store: cached } = await openCachedStore(failingAfterCommit, { redis: redis.url });
    opened.push(cached);
    const { participants } = await seedExchange(cached, ['Tea']);
    await cached.getMeView(participants[0].tokenHash);

    await expect(cached.updateWishlist(participants[0].tokenHash, 'Coffee')).rejects.toThrow('COMMIT');

    expect((await cached.getMeView(participants[0].tokenHash))?.participant.wishlist).toBe('Coffee');
  });

  it('a replayed idempotent write voids the cache: its first attempt may have died before invalidating', async () => {
    const context = await setup();
    const { exchange, participants } = await seedExchange(context.cached, ['', '', '']);
    await readAll(context.cached, exchange, participants);
    // The first attempt committed straight to the database and its process died before invalidating.
    const intent = newIdempotencyIntent<ParticipantRecord[]>();
    await context.truth.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], intent);

    const replay = await context.cached.getIdempotencyRecord(intent.keyHash, new Date(0).toISOString());

    expect(replay).not.toBeNull();
    expect(await readAll(context.cached, exchange, participants)).toEqual(await readAll(context.truth, exchange, participants));
  });
});

describe('the read/write race of cache-aside', () => {
  it('a reader that loaded the old row before a write committed cannot leave it in the cache', async () => {
    const context = await setup();
    const other = await anotherProcess(context);
    const { exchange, participants } = await seedExchange(context.cached, ['', 'Old wish', '']);
    const [ann, bob] = participants;
    await context.cached.draw(exchange.id, isoNow(), drawInCircle);

    // 1. Ann's view misses; the store reads it (Bob's old wishlist) and the answer is held.
    const gate = context.observed.hold('getMeView');
    const slowRead = context.cached.getMeView(ann.tokenHash);
    await vi.waitFor(() => expect(gate.reached()).toBe(true));
    // 2. Bob's new wishlist commits and is invalidated while that read is in flight.
    await context.cached.updateWishlist(bob.tokenHash, 'New wish');
    // 3. The slow read finishes and stores what it read.
    gate.release();
    expect((await slowRead)?.giftee?.wishlist).toBe('Old wish');

    // Every read that starts now sees the new wishlist, in this process and in another.
    expect((await context.cached.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
    expect((await other.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
    // The old view was stored, under a tag no reader will look up again.
    await vi.waitFor(async () => {
      const stored = await Promise.all((await inspector.keys(`${context.prefix}me:${ann.tokenHash}:*`)).map((key) => inspector.get(key)));
      expect(stored.map((json) => JSON.parse(json ?? 'null').giftee.wishlist).sort()).toEqual(['New wish', 'Old wish']);
    });
    expect((await other.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
  });

  it('a reader that loads between a write’s start and its commit cannot leave the old row in the cache', async () => {
    const context = await setup();
    const other = await anotherProcess(context);
    const { exchange, participants } = await seedExchange(context.cached, ['', 'Old wish', '']);
    const [ann, bob] = participants;
    await context.cached.draw(exchange.id, isoNow(), drawInCircle);

    // 1. The write starts and is held before it reaches the database.
    const gate = context.observed.hold('updateWishlist', 'before');
    const writing = context.cached.updateWishlist(bob.tokenHash, 'New wish');
    await vi.waitFor(() => expect(gate.reached()).toBe(true));
    // 2. Meanwhile another process misses, loads the old row and caches it.
    expect((await other.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('Old wish');
    expect((await other.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('Old wish');
    // 3. The write commits and resolves.
    gate.release();
    await writing;

    expect((await other.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
    expect((await context.cached.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
  });

  it('a load that began before a write is not shared with reads that begin after the write', async () => {
    const context = await setup();
    const { exchange, participants } = await seedExchange(context.cached, ['', 'Old wish', '']);
    const [ann, bob] = participants;
    await context.cached.draw(exchange.id, isoNow(), drawInCircle);

    const gate = context.observed.hold('getMeView');
    const early = context.cached.getMeView(ann.tokenHash);
    await vi.waitFor(() => expect(gate.reached()).toBe(true));
    await context.cached.updateWishlist(bob.tokenHash, 'New wish');
    const late = context.cached.getMeView(ann.tokenHash);
    await vi.waitFor(async () => expect(await reads(context.registry, 'miss')).toBe(2));
    gate.release();

    expect((await early)?.giftee?.wishlist).toBe('Old wish');
    expect((await late)?.giftee?.wishlist).toBe('New wish');
  });

  it('a first read (a token the cache has not seen) that loaded the old row before a write committed cannot leave it in the cache', async () => {
    const context = await setup();
    const other = await anotherProcess(context);
    const { exchange, participants } = await seedExchange(context.truth, ['', 'Old wish', '']);
    const [ann, bob] = participants;
    await context.truth.draw(exchange.id, isoNow(), drawInCircle);

    const gate = context.observed.hold('getMeView');
    const slowRead = context.cached.getMeView(ann.tokenHash);
    await vi.waitFor(() => expect(gate.reached()).toBe(true));
    // Another process writes: only Redis connects the two.
    await other.updateWishlist(bob.tokenHash, 'New wish');
    gate.release();
    expect((await slowRead)?.giftee?.wishlist).toBe('Old wish');

    expect((await context.cached.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
    expect((await other.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
    expect((await context.cached.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
  });

  it('a first read that loads between a write’s start and its commit cannot leave the old row in the cache', async () => {
    const context = await setup();
    const other = await anotherProcess(context);
    const { exchange, participants } = await seedExchange(context.truth, ['', 'Old wish', '']);
    const [ann, bob] = participants;
    await context.truth.draw(exchange.id, isoNow(), drawInCircle);

    const gate = context.observed.hold('updateWishlist', 'before');
    const writing = context.cached.updateWishlist(bob.tokenHash, 'New wish');
    await vi.waitFor(() => expect(gate.reached()).toBe(true));
    // The other process has never seen Ann's token: its first read loads the old row and caches it.
    expect((await other.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('Old wish');
    await vi.waitFor(async () => expect(await inspector.keys(`${context.prefix}me:${ann.tokenHash}:*`)).toHaveLength(1));
    gate.release();
    await writing;

    expect((await other.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
    expect((await context.cached.getMeView(ann.tokenHash))?.giftee?.wishlist).toBe('New wish');
  });

  it('a first read held across a replayed write (which voids everything) cannot leave the old row in the cache', async () => {
    const context = await setup();
    const { exchange, participants } = await seedExchange(context.truth, ['', '']);
    const [ann] = participants;

    const gate = context.observed.hold('getMeView');
    const slowRead = context.cached.getMeView(ann.tokenHash);
    await vi.waitFor(() => expect(gate.reached()).toBe(true));
    // A join whose invalidation never happened (its process died after the commit), then its replay.
    const intent = newIdempotencyIntent<ParticipantRecord[]>();
    await context.truth.addParticipants(exchange.id, [newParticipantRecord(exchange.id)], intent);
    expect(await context.cached.getIdempotencyRecord(intent.keyHash, new Date(0).toISOString())).not.toBeNull();
    gate.release();

    expect((await slowRead)?.exchange.participantCount).toBe(2);
    expect((await context.cached.getMeView(ann.tokenHash))?.exchange.participantCount).toBe(3);
    expect((await context.cached.getMeView(ann.tokenHash))?.exchange.participantCount).toBe(3);
  });

  it('a dashboard read held across a join cannot leave the old count in the cache', async () => {
    const context = await setup();
    const { exchange } = await seedExchange(context.cached, ['', '']);

    const gate = context.observed.hold('getExchangeByOrganizerTokenHash');
    const slowRead = context.cached.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash);
    await vi.waitFor(() => expect(gate.reached()).toBe(true));
    await context.cached.addParticipants(exchange.id, [newParticipantRecord(exchange.id)]);
    gate.release();

    expect((await slowRead)?.participantCount).toBe(2);
    expect((await context.cached.getExchangeByOrganizerTokenHash(exchange.organizerTokenHash))?.participantCount).toBe(3);
  });

  it('never shows a giver an older wishlist than the last update that resolved, over many interleaved rounds in two processes', async () => {
    const context = await setup();
    const other = await anotherProcess(context);
    const { exchange, participants } = await seedExchange(context.cached, ['', '', '']);
    const [ann, bob] = participants;
    await context.cached.draw(exchange.id, isoNow(), drawInCircle);
    const processes = [context.cached, other];
    const giftee = async (store: ExchangeStore) => (await store.getMeView(ann.tokenHash))?.giftee?.wishlist;

    for (let round = 1; round <= 150; round += 1) {
      const wish = `Wish ${round}`;
      // Readers in flight across the write, in both processes: they may see either wishlist.
      const inFlight = processes.flatMap((store) => [giftee(store), giftee(store)]);
      await processes[round % 2].updateWishlist(bob.tokenHash, wish);
      const after = await Promise.all([...processes.map(giftee), ...processes.map(giftee)]);

      expect(after).toEqual([wish, wish, wish, wish]);
      const before = round === 1 ? '' : `Wish ${round - 1}`;
      for (const seen of await Promise.all(inFlight)) expect([before, wish]).toContain(seen);
    }
    expect(await reads(context.registry, 'hit')).toBeGreaterThan(0);
  });

  it('never shows a participant reading through their link token an older wishlist than the last update through either token', async () => {
    const context = await setup();
    const other = await anotherProcess(context);
    const { exchange, participants } = await seedExchange(context.cached, ['', '', '']);
    const bob = participants[1];
    const bobLink = (await mailLinks(context.cached, exchange.id, participants))[1].linkTokenHash;
    const processes = [context.cached, other];
    const ownWishlist = async (store: ExchangeStore) => (await store.getMeView(bobLink))?.participant.wishlist;

    for (let round = 1; round <= 80; round += 1) {
      const wish = `Wish ${round}`;
      const inFlight = processes.flatMap((store) => [ownWishlist(store), ownWishlist(store)]);
      // Odd rounds write through the link, even rounds through the own token, from alternating processes.
      await processes[round % 2].updateWishlist(round % 2 === 1 ? bobLink : bob.tokenHash, wish);
      const after = await Promise.all([...processes.map(ownWishlist), ...processes.map(ownWishlist)]);

      expect(after).toEqual([wish, wish, wish, wish]);
      const before = round === 1 ? '' : `Wish ${round - 1}`;
      for (const seen of await Promise.all(inFlight)) expect([before, wish]).toContain(seen);
    }
    expect(await reads(context.registry, 'hit')).toBeGreaterThan(0);
  });
});

describe('stampede protection', () => {
  it('50 concurrent misses on one view cause one read of the store', async () => {
    const { cached, observed, registry } = await setup();
    const { participants } = await seedExchange(cached, ['Tea']);
    const tokenHash = participants[0].tokenHash;

    const gate = observed.hold('getMeView');
    const readers = Array.from({ length: 50 }, () => cached.getMeView(tokenHash));
    // Every reader has missed and joined the load once all 50 misses are counted.
    await vi.waitFor(async () => expect(await reads(registry, 'miss')).toBe(50));
    gate.release();
    const views = await Promise.all(readers);

    expect(observed.calls('getMeView')).toBe(1);
    expect(new Set(views.map((view) => JSON.stringify(view))).size).toBe(1);
    expect(views[0]).not.toBe(views[1]);
  });

  it('a failed load fails its callers and is not cached', async () => {
    const truth = createMemoryStore();
    let failures = 1;
    const flaky: ExchangeStore = {
      ...truth,
      async getMeView(tokenHash) {
        if (failures-- > 0) throw new DomainError('service_unavailable');
        return truth.getMeView(tokenHash);
      },
    };
    const { store: cached } = await openCachedStore(flaky, { redis: redis.url });
    opened.push(cached);
    const { participants } = await seedExchange(cached, ['Tea']);

    await expect(cached.getMeView(participants[0].tokenHash)).rejects.toMatchObject({ code: 'service_unavailable' });
    expect((await cached.getMeView(participants[0].tokenHash))?.participant.wishlist).toBe('Tea');
  });
});

describe('options', () => {
  it('refuse a TTL Redis cannot keep', () => {
    const inner = createMemoryStore();
    expect(() => createCachedStore(inner, { redis: redis.url, ttlSeconds: 0.5 })).toThrow(RangeError);
    expect(() => createCachedStore(inner, { redis: redis.url, ttlSeconds: 60, ttlJitter: 1 })).toThrow(RangeError);
  });
});
