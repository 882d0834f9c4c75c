/**
 * Bounded mixed traffic for the fault and cache suites, built so that every read has
 * a known right answer even while writes race it and dependencies fail.
 *
 * The traffic is a set of lanes, one per simulated client, each running rounds one
 * request after another. A lane owns one participant of a drawn exchange (it alone
 * writes that participant's wishlist, and reads it back through `GET /me` with the
 * token of the participant who drew them) and one open exchange (it alone joins it
 * and sets wishlists there, and reads its dashboard). So a read that follows an
 * acknowledged write must show exactly that write: anything else is a stale read.
 *
 * A write that fails with 503 may or may not have been applied, so a lane tracks the
 * set of values each read may show and narrows it to one value at every acknowledged
 * write.
 */
import type { Exchange, Participant } from '@santa/domain';
import {
  NetworkError,
  csvRows,
  exchangePath,
  expectProblem,
  expectStatus,
  fulfilled,
  participantsCsv,
  person,
  runConcurrently,
  type CallOptions,
  type MeView,
  type Member,
  type Organizer,
  type Reply,
  type StageClient,
} from './harness';

/** After a 503 a lane waits this long: short of the Retry-After second, to time the recovery finely. */
const BACKOFF_AFTER_UNAVAILABLE_MS = 100;

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Milliseconds on one monotonic clock for the whole test process. */
export const now = (): number => performance.now();

export function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

// ---------------------------------------------------------------------------------
// Requests with their timing

export interface Sample {
  op: string;
  startedAt: number;
  endedAt: number;
  /** `ok`: the expected success status; `unavailable`: a 503 problem document with Retry-After. */
  outcome: 'ok' | 'unavailable';
}

/**
 * Sends the traffic's requests and records each one's timing and outcome. Anything but
 * the expected status fails the request, except a well-formed 503 where `unavailable`
 * is tolerated: then the request resolves to `undefined` and the caller decides what
 * the write may have done. No HTTP answer at all (a refused or reset connection) always
 * fails.
 */
export class Traffic {
  readonly samples: Sample[] = [];

  constructor(
    readonly client: StageClient,
    private readonly tolerate: { unavailable: boolean },
    /** The origin of the times in failure messages. */
    private readonly origin = now(),
  ) {}

  async request<T>(op: string, method: string, path: string, options: CallOptions, expected: number): Promise<Reply<T> | undefined> {
    const startedAt = now();
    let reply: Reply<T>;
    try {
      reply = await this.client.call<T>(method, path, options);
    } catch (error) {
      const at = this.at(startedAt);
      if (error instanceof NetworkError) throw new Error(`${op} sent at ${at} got no HTTP answer: ${error.message}`, { cause: error });
      throw error;
    }
    const endedAt = now();
    if (reply.status === expected) {
      this.samples.push({ op, startedAt, endedAt, outcome: 'ok' });
      return reply;
    }
    if (reply.status === 503 && this.tolerate.unavailable) {
      expectProblem(reply, 503, 'service_unavailable');
      const retryAfter = reply.headers.get('retry-after');
      if (retryAfter === null || !/^\d+$/.test(retryAfter)) {
        throw new Error(`${reply.request}: a 503 needs a Retry-After in seconds, got ${String(retryAfter)}`);
      }
      this.samples.push({ op, startedAt, endedAt, outcome: 'unavailable' });
      return undefined;
    }
    throw new Error(`${reply.request} (${op}, sent at ${this.at(startedAt)}): expected ${expected}, got ${reply.status}: ${reply.text.slice(0, 1000)}`);
  }

  /** A time of this traffic as `+1234 ms`, for messages. */
  at(time: number): string {
    return `+${Math.round(time - this.origin)} ms`;
  }
}

// ---------------------------------------------------------------------------------
// Lanes

/** A participant a lane joined to its open exchange; `member` is known once the join was acknowledged. */
interface Joiner {
  email: string;
  name: string;
  member?: Member;
  /** The join may have been applied without being acknowledged. */
  uncertain: boolean;
  /** Every wishlist the participant may have now. */
  wishlists: Set<string>;
}

export class Lane {
  private round = 0;
  /** Every wishlist the lane's participant in the drawn exchange may have now. */
  private gifteeWishlists = new Set(['']);
  private readonly joiners: Joiner[] = [];

  constructor(
    readonly name: string,
    /** The drawn exchange the lane's giftee and giver belong to. */
    private readonly drawn: Organizer,
    private readonly giftee: Member,
    private readonly giverToken: string,
    /** An open exchange no other lane touches. */
    private readonly open: Organizer,
  ) {}

  /**
   * One round: the giver reads, the giftee's wishlist changes, the giver reads again;
   * the dashboard is read, a participant joins or sets a wishlist, the dashboard is
   * read again. Every read is checked against what the acknowledged writes say.
   * Resolves to whether any request was refused with 503.
   */
  async step(traffic: Traffic): Promise<boolean> {
    const n = this.round++;
    let refused = false;
    const refusedIf = <T>(reply: T | undefined): T | undefined => {
      if (reply === undefined) refused = true;
      return reply;
    };

    refusedIf(await this.readGiver(traffic));
    const wishlist = `${this.name} wish ${n}`;
    const put = refusedIf(
      await traffic.request<{ participant: Participant }>('wishlist', 'PUT', '/api/v1/me/wishlist', { token: this.giftee.participantToken, json: { wishlist } }, 200),
    );
    if (put === undefined) this.gifteeWishlists.add(wishlist);
    else {
      if (put.body.participant.wishlist !== wishlist) throw new Error(`PUT /me/wishlist answered ${put.text}`);
      this.gifteeWishlists = new Set([wishlist]);
    }
    refusedIf(await this.readGiver(traffic));

    refusedIf(await this.readDashboard(traffic));
    const waiting = this.joiners.find((joiner) => joiner.member !== undefined && !joiner.wishlists.has(`${joiner.name} wish`));
    if (n % 2 === 0 || waiting === undefined) refusedIf(await this.join(traffic, n));
    else refusedIf(await this.setWishlist(traffic, waiting));
    refusedIf(await this.readDashboard(traffic));
    return refused;
  }

  private async readGiver(traffic: Traffic): Promise<MeView | undefined> {
    const reply = await traffic.request<MeView>('giver reads /me', 'GET', '/api/v1/me', { token: this.giverToken }, 200);
    if (reply === undefined) return undefined;
    const { giftee } = reply.body;
    if (giftee === null || giftee.name !== this.giftee.participant.name) {
      throw new Error(`the giver's /me names ${JSON.stringify(giftee)}, not ${this.giftee.participant.name}`);
    }
    if (!this.gifteeWishlists.has(giftee.wishlist)) {
      throw new Error(
        `stale read at ${traffic.at(now())}: the giver sees the wishlist ${JSON.stringify(giftee.wishlist)}, ` +
          `expected ${describeSet(this.gifteeWishlists)}`,
      );
    }
    return reply.body;
  }

  private async readDashboard(traffic: Traffic): Promise<Exchange | undefined> {
    const reply = await traffic.request<{ exchange: Exchange }>('dashboard', 'GET', exchangePath(this.open.id), { token: this.open.organizerToken }, 200);
    if (reply === undefined) return undefined;
    const { participantCount, wishlistCount } = reply.body.exchange;
    const expected = this.expectedCounts();
    const within = (value: number, [low, high]: [number, number]) => value >= low && value <= high;
    if (!within(participantCount, expected.participantCount) || !within(wishlistCount, expected.wishlistCount)) {
      throw new Error(
        `stale dashboard at ${traffic.at(now())}: participantCount ${participantCount} and wishlistCount ${wishlistCount}, ` +
          `expected ${JSON.stringify(expected)} (lowest, highest)`,
      );
    }
    return reply.body.exchange;
  }

  /** The range each count may have: the lowest counts only acknowledged writes, the highest every write that may have been applied. */
  private expectedCounts(): { participantCount: [number, number]; wishlistCount: [number, number] } {
    let sure = 0;
    let wishSure = 0;
    let wishMaybe = 0;
    for (const joiner of this.joiners) {
      if (!joiner.uncertain) sure++;
      const nonEmpty = [...joiner.wishlists].filter((wishlist) => wishlist !== '').length;
      if (nonEmpty === joiner.wishlists.size && !joiner.uncertain) wishSure++;
      if (nonEmpty > 0) wishMaybe++;
    }
    return { participantCount: [sure, this.joiners.length], wishlistCount: [wishSure, wishMaybe] };
  }

  private async join(traffic: Traffic, n: number): Promise<Member | undefined> {
    const joining = person(`${this.name} joiner`, n);
    const joiner: Joiner = { ...joining, uncertain: true, wishlists: new Set(['']) };
    this.joiners.push(joiner);
    const reply = await traffic.request<Member>('join', 'POST', exchangePath(this.open.id, '/join'), { json: { inviteCode: this.open.inviteCode, ...joining } }, 201);
    if (reply === undefined) return undefined;
    joiner.member = reply.body;
    joiner.uncertain = false;
    return reply.body;
  }

  private async setWishlist(traffic: Traffic, joiner: Joiner): Promise<Participant | undefined> {
    const wishlist = `${joiner.name} wish`;
    const member = joiner.member as Member;
    const reply = await traffic.request<{ participant: Participant }>('joiner wishlist', 'PUT', '/api/v1/me/wishlist', { token: member.participantToken, json: { wishlist } }, 200);
    joiner.wishlists = reply === undefined ? new Set([...joiner.wishlists, wishlist]) : new Set([wishlist]);
    return reply?.body.participant;
  }

  /**
   * Reads everything the lane wrote back through the organizer's eyes (not through any
   * cached view): every acknowledged write is there, nothing that was never sent is,
   * and the dashboard counts agree with the rows.
   */
  async expectDurable(client: StageClient): Promise<void> {
    const drawnParticipants = await client.allParticipants(this.drawn);
    const mine = drawnParticipants.find(({ id }) => id === this.giftee.participant.id);
    if (mine === undefined || !this.gifteeWishlists.has(mine.wishlist)) {
      throw new Error(`${this.name}: the giftee's stored wishlist is ${JSON.stringify(mine?.wishlist)}, expected ${describeSet(this.gifteeWishlists)}`);
    }

    const listed = await client.allParticipants(this.open);
    const byEmail = new Map(listed.map((participant) => [participant.email, participant]));
    for (const joiner of this.joiners) {
      const found = byEmail.get(joiner.email);
      byEmail.delete(joiner.email);
      if (found === undefined) {
        if (!joiner.uncertain) throw new Error(`${this.name}: the acknowledged join of ${joiner.email} is lost`);
        continue;
      }
      if (joiner.member !== undefined && found.id !== joiner.member.participant.id) {
        throw new Error(`${this.name}: ${joiner.email} has the id ${found.id}, but its join was acknowledged as ${joiner.member.participant.id}`);
      }
      if (!joiner.wishlists.has(found.wishlist)) {
        throw new Error(`${this.name}: ${joiner.email} has the wishlist ${JSON.stringify(found.wishlist)}, expected ${describeSet(joiner.wishlists)}`);
      }
    }
    if (byEmail.size > 0) throw new Error(`${this.name}: participants nobody sent: ${[...byEmail.keys()].join(', ')}`);

    const exchange = await client.dashboard(this.open);
    const counts = { participantCount: listed.length, wishlistCount: listed.filter(({ wishlist }) => wishlist !== '').length };
    if (exchange.participantCount !== counts.participantCount || exchange.wishlistCount !== counts.wishlistCount) {
      throw new Error(`${this.name}: the dashboard says ${JSON.stringify(exchange)}, the rows say ${JSON.stringify(counts)}`);
    }
  }
}

function describeSet(values: Set<string>): string {
  return [...values].map((value) => JSON.stringify(value)).join(' or ');
}

/**
 * `exchanges` drawn exchanges of `lanesPerExchange` participants (at least 3), each the
 * giftee of one lane, plus one open exchange per lane. Built with ordinary requests
 * that must succeed, before any fault.
 */
export async function setUpLanes(client: StageClient, tag: string, exchanges: number, lanesPerExchange: number): Promise<Lane[]> {
  const size = Math.max(3, lanesPerExchange);
  const perExchange = fulfilled(
    await runConcurrently(range(exchanges), 4, async (e) => {
      const drawn = await client.createExchange({ name: `${tag} ${e}` });
      const members = await client.importCsv(drawn, participantsCsv(csvRows(range(size).map((i) => person(`${tag} ${e}`, i)))));
      await client.draw(drawn);
      const views = await Promise.all(members.map((member) => client.me(member.participantToken)));
      const giverTokenOf = new Map(views.map((view, i) => [view.giftee?.name, (members[i] as Member).participantToken]));
      return fulfilled(
        await runConcurrently(members.slice(0, lanesPerExchange), 4, async (giftee, i) => {
          const name = `${tag} ${e}.${i}`;
          const giverToken = giverTokenOf.get(giftee.participant.name);
          if (giverToken === undefined) throw new Error(`nobody drew ${giftee.participant.name}`);
          return new Lane(name, drawn, giftee, giverToken, await client.createExchange({ name: `${name} open` }));
        }),
      );
    }),
  );
  return perExchange.flat();
}

/**
 * Runs every lane's rounds concurrently until `until()` says stop or a lane has run
 * `maxRounds`, whichever comes first. A lane stops at its first failure; the failures
 * are returned, one line each.
 */
export async function drive(lanes: readonly Lane[], traffic: Traffic, bounds: { maxRounds: number; until?: () => boolean }): Promise<string[]> {
  const failures: string[] = [];
  await Promise.all(
    lanes.map(async (lane) => {
      for (let round = 0; round < bounds.maxRounds && !(bounds.until?.() ?? false); round++) {
        try {
          if (await lane.step(traffic)) await sleep(BACKOFF_AFTER_UNAVAILABLE_MS);
        } catch (error) {
          failures.push(`${lane.name}: ${(error as Error).message}`);
          return;
        }
      }
    }),
  );
  return failures;
}

// ---------------------------------------------------------------------------------
// Health probes

export interface Probe {
  path: '/healthz' | '/readyz';
  startedAt: number;
  endedAt: number;
  status: number;
}

/**
 * Asks `/healthz` and `/readyz` every `everyMs` until stopped. `/healthz` must answer
 * 200 and `/readyz` 200 or a 503 problem document; anything else, or no answer, is
 * returned as a failure.
 */
export function probeHealth(client: StageClient, everyMs: number): { stop(): Promise<{ probes: Probe[]; failures: string[] }> } {
  const probes: Probe[] = [];
  const failures: string[] = [];
  let stopping = false;
  const probeOnce = async (path: Probe['path']) => {
    const startedAt = now();
    try {
      const reply = await client.call('GET', path);
      probes.push({ path, startedAt, endedAt: now(), status: reply.status });
      if (path === '/healthz') expectStatus(reply, 200);
      else if (reply.status !== 200) expectProblem(reply, 503, 'service_unavailable');
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
    }
  };
  const loop = (async () => {
    while (!stopping) {
      await Promise.all([probeOnce('/healthz'), probeOnce('/readyz')]);
      await sleep(everyMs);
    }
  })();
  return {
    async stop() {
      stopping = true;
      await loop;
      return { probes, failures };
    },
  };
}

// ---------------------------------------------------------------------------------
// Numbers

/** Nearest-rank percentile of `values` (0 < p <= 100); NaN when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** `count, p50 and p95` of the samples' durations, as one line for the log. */
export function latencyLine(samples: readonly Sample[]): string {
  const durations = samples.map(({ startedAt, endedAt }) => endedAt - startedAt);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  return `${durations.length} requests, p50 ${ms(percentile(durations, 50))}, p95 ${ms(percentile(durations, 95))}`;
}

/**
 * The sum of every sample of the metric `name` whose labels include `labels`, read
 * from Prometheus text format (0 when there is none).
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
    if (sample === null || sample[1] !== name) continue;
    const found = new Map([...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) sum += Number(sample[3]);
  }
  return sum;
}

export async function readMetrics(client: StageClient): Promise<string> {
  return expectStatus<string>(await client.call('GET', '/metrics'), 200).body;
}

/** Reads served from Redis, over every cached view. */
export async function cacheHits(client: StageClient): Promise<number> {
  return metricSum(await readMetrics(client), 'santa_cache_reads_total', { result: 'hit' });
}
