/**
 * Faults under traffic: "Redis down means slower, not broken; PostgreSQL restarting
 * means brief 503s with Retry-After, no crash, automatic recovery". The suite starts
 * its own PostgreSQL and Redis (`@santa/services`) and hands them to the stage through
 * DATABASE_URL and REDIS_URL, so it can stop and start them under a running stage.
 *
 * Every load here is bounded in requests and in time, targets 127.0.0.1 only and stops
 * by itself. Latencies are logged for the reader, never asserted; the one time bound
 * (recovery within 5 s of the database's return) is a limit, not a benchmark.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, startRedis, type RunningPostgres, type RunningRedis } from '@santa/services';
import { makeDataDir, removeDataDir, startStage, type StageProcess } from './harness';
import {
  Traffic,
  cacheHits,
  drive,
  latencyLine,
  metricSum,
  now,
  probeHealth,
  readMetrics,
  setUpLanes,
  sleep,
  type Lane,
  type Probe,
  type Sample,
} from './traffic';

/** No lane gets near this many rounds in the time it runs; it only bounds the load should the clock misbehave. */
const MAX_ROUNDS = 2_000;

/** Redis killed: 20 clients for 6 s, Redis killed after 3. */
const REDIS_LANES = { exchanges: 4, perExchange: 5 };
const REDIS_TRAFFIC_MS = 6_000;
const REDIS_KILL_AFTER_MS = 3_000;
/** How long the cache may take to reconnect and hit again (it retries about once a second). */
const HITS_BACK_WITHIN_MS = 15_000;

/** PostgreSQL restarted: 10 clients; traffic 1.5 s before the halt, 2 s of outage, 1.5 s after the recovery. */
const OUTAGE_LANES = { exchanges: 2, perExchange: 5 };
const BEFORE_OUTAGE_MS = 1_500;
const OUTAGE_MS = 2_000;
const AFTER_RECOVERY_MS = 1_500;
/** The service must answer writes again within this of PostgreSQL's return. */
const RECOVERY_BOUND_MS = 5_000;
const PROBE_EVERY_MS = 100;

const WRITES = new Set(['wishlist', 'join', 'joiner wishlist']);

for (const stageName of ['03-postgres', '04-redis-cache'] as const) faultSuite(stageName);

function faultSuite(stageName: '03-postgres' | '04-redis-cache'): void {
  const cached = stageName === '04-redis-cache';

  describe(`${stageName}: dependencies failing under traffic`, () => {
    let dataDir = '';
    let postgres: RunningPostgres | undefined;
    let redis: RunningRedis | undefined;
    let stage: StageProcess | undefined;
    const theStage = () => stage as StageProcess;

    beforeAll(async () => {
      dataDir = await makeDataDir(stageName);
      const postgresDir = join(dataDir, 'postgres');
      await mkdir(postgresDir);
      postgres = await startPostgres({ dataDir: postgresDir });
      const env: Record<string, string> = { DATABASE_URL: postgres.url };
      if (cached) {
        redis = await startRedis();
        env.REDIS_URL = redis.url;
      }
      stage = await startStage(stageName, dataDir, env);
    });

    afterAll(async () => {
      try {
        await stage?.stop();
      } finally {
        await redis?.stop();
        await postgres?.stop();
        await removeDataDir(dataDir);
      }
    });

    if (cached) {
      it('serves every request while Redis is killed mid-traffic, and hits the cache again once Redis is back', async () => {
        const server = redis as RunningRedis;
        const { client } = theStage();
        const lanes = await setUpLanes(client, 'Redis', REDIS_LANES.exchanges, REDIS_LANES.perExchange);
        const pid = await theStage().appPid();

        const traffic = new Traffic(client, { unavailable: false });
        const deadline = now() + REDIS_TRAFFIC_MS;
        const running = drive(lanes, traffic, { maxRounds: MAX_ROUNDS, until: () => now() > deadline });
        await sleep(REDIS_KILL_AFTER_MS);
        const killedAt = now();
        await server.kill();
        const deadAt = now();
        expect(await running, 'failed requests and stale reads').toEqual([]);

        const before = traffic.samples.filter(({ endedAt }) => endedAt < killedAt);
        const without = traffic.samples.filter(({ startedAt }) => startedAt > deadAt);
        expect(before.length).toBeGreaterThan(0);
        expect(without.length).toBeGreaterThan(0);
        console.info(`${stageName} with Redis: ${latencyLine(before)}`);
        console.info(`${stageName} with Redis killed: ${latencyLine(without)}`);

        // The reads really went around Redis, and the cache says it is not in use.
        const down = await readMetrics(client);
        const aroundRedis = ['bypass', 'error'].reduce((sum, result) => sum + metricSum(down, 'santa_cache_reads_total', { result }), 0);
        expect(aroundRedis, 'reads served without Redis').toBeGreaterThan(0);
        expect(metricSum(down, 'santa_cache_available')).toBe(0);

        // Back on the same port, empty: the same app process finds it and hits again.
        const hitsAtRestart = metricSum(down, 'santa_cache_reads_total', { result: 'hit' });
        await server.start();
        const restartedAt = now();
        const refill = new Traffic(client, { unavailable: false });
        let hits = hitsAtRestart;
        while (hits <= hitsAtRestart && now() - restartedAt < HITS_BACK_WITHIN_MS) {
          expect(await drive(lanes, refill, { maxRounds: 1 })).toEqual([]);
          hits = await cacheHits(client);
        }
        expect(hits, `cache hits within ${HITS_BACK_WITHIN_MS / 1000} s of Redis's return`).toBeGreaterThan(hitsAtRestart);
        console.info(`${stageName}: cache hits again ${Math.round(now() - restartedAt)} ms after Redis came back`);

        // Nothing stale with the cache back in use, and nothing acknowledged was lost.
        const after = new Traffic(client, { unavailable: false });
        expect(await drive(lanes, after, { maxRounds: 3 }), 'stale reads after the restart').toEqual([]);
        console.info(`${stageName} with Redis back: ${latencyLine(after.samples)}`);
        for (const lane of lanes) await lane.expectDurable(client);
        expect(await theStage().appPid(), 'the app process was not restarted').toBe(pid);
      });
    }

    it('answers only 503 with Retry-After while PostgreSQL restarts, stays up, recovers, and loses no acknowledged write', async () => {
      const server = postgres as RunningPostgres;
      const { client } = theStage();
      const lanes: Lane[] = await setUpLanes(client, 'Outage', OUTAGE_LANES.exchanges, OUTAGE_LANES.perExchange);
      const pid = await theStage().appPid();

      const traffic = new Traffic(client, { unavailable: true });
      const probe = probeHealth(client, PROBE_EVERY_MS);
      let stopAt = Number.POSITIVE_INFINITY;
      const running = drive(lanes, traffic, { maxRounds: MAX_ROUNDS, until: () => now() > stopAt });

      let laneFailures: string[];
      let health: { probes: Probe[]; failures: string[] };
      const times = { haltAt: 0, downAt: 0, startAt: 0, upAt: 0 };
      let recoveredAt: number | undefined;
      try {
        await sleep(BEFORE_OUTAGE_MS);
        times.haltAt = now();
        await server.halt();
        times.downAt = now();
        await sleep(OUTAGE_MS);
        times.startAt = now();
        await server.start();
        times.upAt = now();
        // Recovered: the first acknowledged write sent after PostgreSQL came back (a
        // cached read would succeed on stage 04 without the database).
        while ((recoveredAt = firstWriteSince(traffic.samples, times.upAt)) === undefined && now() - times.upAt < 2 * RECOVERY_BOUND_MS) {
          await sleep(20);
        }
        stopAt = now() + AFTER_RECOVERY_MS;
      } finally {
        stopAt = Math.min(stopAt, now() + AFTER_RECOVERY_MS);
        laneFailures = await running;
        health = await probe.stop();
      }

      expect(laneFailures, 'requests with an answer other than success or 503, and stale reads').toEqual([]);
      expect(health.failures, '/healthz and /readyz').toEqual([]);

      const refused = traffic.samples.filter(({ outcome }) => outcome === 'unavailable');
      const at = (time: number) => traffic.at(time);
      console.info(
        `${stageName} PostgreSQL restart: halted at ${at(times.haltAt)}, down at ${at(times.downAt)}, start at ${at(times.startAt)}, ` +
          `up at ${at(times.upAt)}; ${refused.length} of ${traffic.samples.length} requests answered 503; ` +
          `first acknowledged write ${recoveredAt === undefined ? 'never' : `${Math.round(recoveredAt - times.upAt)} ms`} after the database was back`,
      );
      console.info(`${stageName} before the outage: ${latencyLine(traffic.samples.filter(({ endedAt }) => endedAt < times.haltAt))}`);
      console.info(`${stageName} after the recovery: ${latencyLine(traffic.samples.filter(({ startedAt }) => recoveredAt !== undefined && startedAt > recoveredAt))}`);

      expect(recoveredAt, 'an acknowledged write after the database came back').toBeDefined();
      const recovered = recoveredAt as number;
      expect(recovered - times.upAt, 'ms from the database back to the first acknowledged write').toBeLessThanOrEqual(RECOVERY_BOUND_MS);

      // 503s, and only while the outage lasted: from the halt to the recovery.
      expect(refused.length, 'the outage reached the traffic').toBeGreaterThan(0);
      const outside = refused.filter(({ startedAt, endedAt }) => endedAt < times.haltAt || startedAt > recovered);
      expect(outside.map((sample) => describeSample(sample, traffic)), '503s outside the outage').toEqual([]);
      expect(traffic.samples.filter(({ startedAt, outcome }) => startedAt > recovered && outcome === 'ok').length).toBeGreaterThan(0);

      // /readyz: 200 before, 503 while the database is down, 200 again after.
      const ready = health.probes.filter(({ path }) => path === '/readyz');
      expect(ready.filter(({ endedAt }) => endedAt < times.haltAt).map(({ status }) => status)).not.toContain(503);
      const whileDown = ready.filter(({ startedAt, endedAt }) => startedAt > times.downAt && endedAt < times.startAt);
      expect(whileDown.length, '/readyz probes while the database was down').toBeGreaterThan(0);
      expect(new Set(whileDown.map(({ status }) => status)), '/readyz while the database was down').toEqual(new Set([503]));
      expect(ready.filter(({ startedAt }) => startedAt > times.upAt).map(({ status }) => status), '/readyz after').toContain(200);
      expect(ready.at(-1)?.status, 'the last /readyz').toBe(200);
      expect(health.probes.filter(({ path }) => path === '/healthz').length).toBeGreaterThan(0);

      expect(await theStage().appPid(), 'the app process was not restarted').toBe(pid);
      for (const lane of lanes) await lane.expectDurable(client);
    });
  });
}

/** When the first acknowledged write sent after `since` was answered. */
function firstWriteSince(samples: readonly Sample[], since: number): number | undefined {
  let first: number | undefined;
  for (const { op, startedAt, endedAt, outcome } of samples) {
    if (outcome === 'ok' && WRITES.has(op) && startedAt >= since && (first === undefined || endedAt < first)) first = endedAt;
  }
  return first;
}

function describeSample({ op, startedAt, endedAt }: Sample, traffic: Traffic): string {
  return `${op} sent at ${traffic.at(startedAt)}, answered 503 at ${traffic.at(endedAt)}`;
}
