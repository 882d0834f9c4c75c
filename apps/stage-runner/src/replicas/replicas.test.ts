/**
 * Stage 05 as people run it (`npm run stage -- 05-replicas --replicas 3`), under a
 * steady load of reads and writes from a few concurrent clients:
 * - a SIGKILLed replica costs no request: nginx retries the idempotent ones on the
 *   others, clients retry POSTs with their Idempotency-Key, every acknowledged join
 *   exists exactly once; the runner starts the replica again and it takes traffic;
 * - a rolling restart (SIGHUP) replaces every replica without one failed attempt.
 * The HTTP contract through nginx is the conformance suite's (apps/conformance).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTopology, topologyFile, type Topology } from './topology';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const REPLICAS = 3;
/** Time for the requests a killed replica had in hand to fail and be logged. */
const SETTLE_MS = 250;

// ---------------------------------------------------------------------------------
// The stage process

interface RunningStage {
  child: ChildProcess;
  url: string;
  dataDir: string;
  output: () => string;
  exit: Promise<number | null>;
}

async function startStage(dataDir: string): Promise<RunningStage> {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'TEST' || name === 'NODE_ENV') delete env[name];
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'apps/stage-runner/src/main.ts'), '05-replicas', '--replicas', String(REPLICAS), '--port', '0', '--data', dataDir],
    { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stdout?.setEncoding('utf8');
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((done, fail) => {
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const ready = /^ready (http:\/\/\S+)$/m.exec(output);
      if (ready) done(ready[1] as string);
    });
    void exit.then((code) => fail(new Error(`the stage exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, url, dataDir, output: () => output, exit };
}

async function until<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface LogEntry {
  msec: number;
  method: string;
  uri: string;
  status: number;
  upstream: string;
}

async function accessLog(topology: Topology, since = 0): Promise<LogEntry[]> {
  const text = await readFile(topology.nginx.accessLog, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LogEntry)
    .filter((entry) => entry.msec * 1000 >= since);
}

/** The replicas a request was sent to, in order: more than one when nginx retried it. */
const attempts = (entry: LogEntry) => entry.upstream.split(', ');
const servedBy = (entry: LogEntry) => attempts(entry).at(-1);

// ---------------------------------------------------------------------------------
// The load: a few clients in a loop, reads mostly, with wishlist updates and joins

interface Fixture {
  exchangeId: string;
  organizerToken: string;
  inviteCode: string;
  participantTokens: string[];
}

interface Join {
  email: string;
  /** The participant the acknowledged answer named. */
  id?: string;
}

interface LoadResult {
  requests: number;
  /** Every request that did not get its success status in the end, with what it got. */
  failures: string[];
  /**
   * Requests sent again because the kept-alive connection they went out on was closed
   * before any answer: nginx closes its idle client connections when it reloads, and
   * HTTP clients resend a request that meets one (Go's, so k6's, does; fetch does not).
   */
  resentOnClosedConnection: number;
  /** POSTs repeated with their Idempotency-Key after a 502 or 503 or a lost answer. */
  retriedPosts: number;
  joins: Join[];
}

const CLIENTS = 6;
/** Between two requests of one client: a steady few hundred requests per second, not a flood. */
const PAUSE_MS = 10;
const POST_BACKOFF_MS = [50, 100, 200, 400, 800];

/** A response, or the error of a request that got none. */
type Reply = { status: number; text: string } | Error;

/** The connection was closed under the request before any answer came back. */
function closedUnderneath(error: unknown): boolean {
  const code = ((error as Error).cause as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE';
}

/** Runs the load until `stop` resolves. */
async function runLoad(baseUrl: string, fixture: Fixture, tag: string, stop: Promise<void>): Promise<LoadResult> {
  const result: LoadResult = { requests: 0, failures: [], resentOnClosedConnection: 0, retriedPosts: 0, joins: [] };
  let stopped = false;
  void stop.then(() => (stopped = true));
  const api = `${baseUrl}/api/v1`;
  const organizer = { authorization: `Bearer ${fixture.organizerToken}` };

  const send = async (path: string, init: RequestInit): Promise<Reply> => {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(`${api}${path}`, { ...init, signal: AbortSignal.timeout(15_000) });
        return { status: response.status, text: await response.text() };
      } catch (error) {
        if (attempt > 0 || !closedUnderneath(error)) return error as Error;
        result.resentOnClosedConnection += 1;
      }
    }
  };

  const tally = (what: string, reply: Reply, status: number) => {
    result.requests += 1;
    if (reply instanceof Error) result.failures.push(`${what}: ${reply.message} ${String(reply.cause ?? '')}`);
    else if (reply.status !== status) result.failures.push(`${what}: ${reply.status} ${reply.text}`);
  };

  const join = async (index: number) => {
    const record: Join = { email: `${tag}.${index}@example.com` };
    result.joins.push(record);
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `${tag}-${index}` },
      body: JSON.stringify({ inviteCode: fixture.inviteCode, name: `${tag} ${index}`, email: record.email }),
    };
    for (let attempt = 0; ; attempt++) {
      const reply = await send(`/exchanges/${fixture.exchangeId}/join`, init);
      const retryable = reply instanceof Error || reply.status === 502 || reply.status === 503;
      if (retryable && attempt < POST_BACKOFF_MS.length) {
        result.retriedPosts += 1;
        await new Promise((done) => setTimeout(done, POST_BACKOFF_MS[attempt]));
        continue;
      }
      tally(`join ${index}`, reply, 201);
      if (!(reply instanceof Error) && reply.status === 201) record.id = (JSON.parse(reply.text) as { participant: { id: string } }).participant.id;
      return;
    }
  };

  let counter = 0;
  const client = async () => {
    while (!stopped) {
      const n = counter++;
      const token = fixture.participantTokens[n % fixture.participantTokens.length] as string;
      const roll = n % 10;
      if (roll < 6) tally('GET /me', await send('/me', { headers: { authorization: `Bearer ${token}` } }), 200);
      else if (roll < 8) tally('GET /exchanges/:id', await send(`/exchanges/${fixture.exchangeId}`, { headers: organizer }), 200);
      else if (roll < 9) {
        const init = { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ wishlist: `${tag} wish ${n}` }) };
        tally('PUT /me/wishlist', await send('/me/wishlist', init), 200);
      } else await join(n);
      await new Promise((done) => setTimeout(done, PAUSE_MS));
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  return result;
}

// ---------------------------------------------------------------------------------

describe('05-replicas: replicas behind nginx', { timeout: 120_000 }, () => {
  let dataDir = '';
  let stage: RunningStage | undefined;
  let fixture: Fixture;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'santa-replicas-'));
    // Run as root, PostgreSQL runs as another user, which must reach its directory in here.
    await chmod(dataDir, 0o755);
    stage = await startStage(dataDir);
    const api = `${stage.url}/api/v1`;
    const created = (await (
      await fetch(`${api}/exchanges`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Replicated' }) })
    ).json()) as { exchange: { id: string }; organizerToken: string; inviteCode: string };
    const csv = ['name,email,wishlist', ...Array.from({ length: 30 }, (_, i) => `Reader ${i},reader.${i}@example.com,`)].join('\r\n');
    const imported = (await (
      await fetch(`${api}/exchanges/${created.exchange.id}/participants.csv`, {
        method: 'POST',
        headers: { 'content-type': 'text/csv', authorization: `Bearer ${created.organizerToken}` },
        body: csv,
      })
    ).json()) as { participants: { participantToken: string }[] };
    fixture = {
      exchangeId: created.exchange.id,
      organizerToken: created.organizerToken,
      inviteCode: created.inviteCode,
      participantTokens: imported.participants.map(({ participantToken }) => participantToken),
    };
  }, 120_000);

  afterAll(async () => {
    if (stage && stage.child.exitCode === null) {
      stage.child.kill('SIGKILL');
      await stage.exit;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Every participant of the fixture's exchange, by e-mail address; fails on a duplicate. */
  async function participantsByEmail(): Promise<Map<string, string>> {
    const byEmail = new Map<string, string>();
    let cursor: string | null = null;
    do {
      const query = `?limit=500${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const response = await fetch(`${stage?.url}/api/v1/exchanges/${fixture.exchangeId}/participants${query}`, {
        headers: { authorization: `Bearer ${fixture.organizerToken}` },
      });
      const page = (await response.json()) as { items: { id: string; email: string }[]; nextCursor: string | null };
      for (const { id, email } of page.items) {
        expect(byEmail.has(email), `${email} is listed twice`).toBe(false);
        byEmail.set(email, id);
      }
      cursor = page.nextCursor;
    } while (cursor !== null);
    return byEmail;
  }

  /** Every join was acknowledged, and each exists exactly once, as acknowledged. */
  async function expectJoinsExactlyOnce(load: LoadResult): Promise<void> {
    expect(load.joins.length).toBeGreaterThan(0);
    const byEmail = await participantsByEmail();
    for (const join of load.joins) {
      expect(join.id, `${join.email} was never acknowledged`).toBeDefined();
      expect(byEmail.get(join.email), join.email).toBe(join.id);
    }
  }

  it('keeps one idempotency record for all replicas: a repeat answered by another replica replays the first answer', async () => {
    const topology = readTopology(dataDir);
    expect(topology.replicas).toHaveLength(REPLICAS);
    const body = JSON.stringify({ inviteCode: fixture.inviteCode, name: 'Twice', email: 'twice@example.com' });
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'across-replicas' };
    const answers = [];
    for (const replica of topology.replicas) {
      const response = await fetch(`${replica.url}/api/v1/exchanges/${fixture.exchangeId}/join`, { method: 'POST', headers, body });
      answers.push({ status: response.status, replayed: response.headers.get('idempotent-replayed'), body: await response.text() });
    }
    expect(answers.map(({ status }) => status)).toEqual(Array(REPLICAS).fill(201));
    expect(answers.map(({ replayed }) => replayed)).toEqual([null, ...Array(REPLICAS - 1).fill('true')]);
    expect(new Set(answers.map(({ body: text }) => text)).size).toBe(1);
    expect([...(await participantsByEmail()).keys()].filter((email) => email === 'twice@example.com')).toHaveLength(1);
  });

  it('loses no request and no write when a replica is killed under load, and takes it back once it is up again', async () => {
    const before = readTopology(dataDir);
    const victim = before.replicas[1] as { url: string; pid: number };
    const victimAddress = new URL(victim.url).host;
    const done = Promise.withResolvers<void>();
    const running = runLoad(before.url, fixture, 'killed', done.promise);

    await new Promise((wait) => setTimeout(wait, 1_000));
    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    const restarted = await until('the replica to be started again', () => {
      const pid = readTopology(dataDir).replicas[1]?.pid;
      return pid !== undefined && pid !== victim.pid ? pid : undefined;
    });
    const restartedAt = Date.now();
    // nginx tries it again once its fail_timeout (5 s) has passed.
    await until(
      'nginx to send traffic to the restarted replica',
      async () => ((await accessLog(before, restartedAt)).some((entry) => entry.status < 400 && servedBy(entry) === victimAddress) ? true : undefined),
      20_000,
    );
    await new Promise((wait) => setTimeout(wait, 500));
    done.resolve();
    const load = await running;

    expect(load.failures, 'requests that failed').toEqual([]);
    expect(load.resentOnClosedConnection, 'nginx closed no client connection').toBe(0);
    expect(load.requests).toBeGreaterThan(200);
    await expectJoinsExactlyOnce(load);

    const log = await accessLog(before, killedAt);
    // Its traffic moved: the requests that found it dead were retried on another replica...
    expect(log.some((entry) => attempts(entry)[0] === victimAddress && servedBy(entry) !== victimAddress)).toBe(true);
    // ... and while it was down (once the requests it had in hand had failed), the
    // others answered everything.
    const whileDown = log.filter((entry) => entry.msec * 1000 > killedAt + SETTLE_MS && entry.msec * 1000 < restartedAt);
    expect(whileDown.filter((entry) => servedBy(entry) === victimAddress)).toEqual([]);
    expect(new Set(whileDown.map(servedBy))).toEqual(new Set(before.replicas.filter((r) => r !== victim).map((r) => new URL(r.url).host)));
    expect(alive(restarted)).toBe(true);
  });

  it('restarts every replica, one at a time, without one failed request (SIGHUP)', async () => {
    const before = readTopology(dataDir);
    const done = Promise.withResolvers<void>();
    const running = runLoad(before.url, fixture, 'rolling', done.promise);
    await new Promise((wait) => setTimeout(wait, 500));
    const startedAt = Date.now();
    stage?.child.kill('SIGHUP');
    const after = await until('the rolling restart to finish', () => {
      const topology = readTopology(dataDir);
      return topology.rollingRestarts > before.rollingRestarts ? topology : undefined;
    }, 90_000);
    await new Promise((wait) => setTimeout(wait, 500));
    done.resolve();
    const load = await running;

    expect(load.failures, 'requests that failed').toEqual([]);
    expect(load.retriedPosts, 'POSTs that had to be repeated').toBe(0);
    await expectJoinsExactlyOnce(load);

    // New processes on new ports; the old ones drained and exited.
    expect(after.replicas).toHaveLength(REPLICAS);
    const oldUrls = new Set(before.replicas.map(({ url }) => url));
    for (const replica of after.replicas) expect(oldUrls.has(replica.url)).toBe(false);
    for (const replica of before.replicas) expect(alive(replica.pid as number), `old replica pid ${replica.pid}`).toBe(false);
    // Not even nginx had to retry: no replica went away while nginx could still send it a request.
    const log = await accessLog(before, startedAt);
    expect(log.filter((entry) => attempts(entry).length > 1 || entry.status >= 500)).toEqual([]);
    expect(new Set(log.map(servedBy))).toEqual(new Set([...before.replicas, ...after.replicas].map(({ url }) => new URL(url).host)));
  });

  it('stops on SIGTERM: nginx, then the replicas drain, then the services; exit 0', async () => {
    const topology = readTopology(dataDir);
    const running = stage as RunningStage;
    running.child.kill('SIGTERM');
    expect(await running.exit, running.output()).toBe(0);
    expect(existsSync(topologyFile(dataDir))).toBe(false);
    expect([topology.nginx.pid, ...topology.replicas.map(({ pid }) => pid)].filter((pid) => alive(pid as number))).toEqual([]);
  });
});
