/**
 * The conformance harness: stage processes started exactly as users start them, and
 * an HTTP client that checks every response against the OpenAPI document.
 *
 * A stage runs as `npm run stage -- <stage> --port 0 --data <dir>` in its own process
 * group (npm -> sh -> stage runner -> stage), so one signal reaches all of it. Every
 * group started here is killed when the test process exits, whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { Exchange, Exclusion, Participant } from '@santa/domain';
import { createOpenApiValidator } from '@santa/http/testing';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** How long a stage may take to print its ready line; generous, for a busy 2-core machine. */
const READY_TIMEOUT_MS = 90_000;
/** How long a stage may take to drain and exit after SIGTERM before it counts as hung. */
const STOP_TIMEOUT_MS = 30_000;
/** No single request of the suites should come near this; it only turns a hang into a failure. */
const REQUEST_TIMEOUT_MS = 60_000;
/** How much of a stage's output an error message quotes. */
const OUTPUT_TAIL_CHARS = 4_000;

// ---------------------------------------------------------------------------------
// Stage processes

const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const group of liveGroups) signalGroup(group, 'SIGKILL');
});

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // The group has already gone.
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function waitForGroupsExit(groups: Iterable<number>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while ([...groups].some(groupAlive)) {
    if (Date.now() > deadline) return false;
    await new Promise((done) => setTimeout(done, 50));
  }
  return true;
}

/** pid -> [parent pid, process group] of every process, read from /proc. */
async function processTable(): Promise<Map<number, [number, number]>> {
  const table = new Map<number, [number, number]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // state, ppid, pgrp, ...: the fields after the command name, which is in parentheses and may hold anything.
      const [, parent, processGroup] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(entry), [Number(parent), Number(processGroup)]);
    } catch {
      // The process ended while we looked.
    }
  }
  return table;
}

/** The process groups of `root` and of every process descended from it. */
async function groupsUnder(root: number): Promise<Set<number>> {
  const table = await processTable();
  const groups = new Set<number>();
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    const group = table.get(pid)?.[1];
    if (group !== undefined) groups.add(group);
    for (const [child, [parent]] of table) if (parent === pid) pending.push(child);
  }
  return groups;
}

/**
 * The stage runs as a user runs it, not inside the test runner's environment; `extra`
 * is what the user would set (DATABASE_URL and REDIS_URL, to bring their own servers).
 */
function stageEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith('VITEST') || name === 'TEST' || name === 'NODE_ENV') delete env[name];
  }
  return { ...env, ...extra };
}

/** A fresh, empty data directory for one stage process (or for several in turn). */
export async function makeDataDir(stage: string): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), `santa-conformance-${stage}-`));
  // Run as root, a stage starts PostgreSQL as another user, which must reach its own
  // directory inside this one.
  await chmod(dataDir, 0o755);
  return dataDir;
}

export function removeDataDir(dataDir: string): Promise<void> {
  return rm(dataDir, { recursive: true, force: true });
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class StageProcess {
  readonly client: StageClient;
  private readonly log: string[] = [];
  private exitedWith: string | null = null;
  private readonly npmExit: Promise<ExitStatus>;
  /** The stage's own group and any its processes made; `exited` waits for all of them. */
  private readonly groups: Set<number>;

  private constructor(
    readonly stage: string,
    readonly dataDir: string,
    private readonly child: ChildProcess,
    private readonly group: number,
    private baseUrl = '',
  ) {
    this.client = new StageClient(() => this.baseUrl, () => this.describe());
    this.groups = new Set([group]);
    this.npmExit = new Promise((resolveExit) => child.once('exit', (code, signal) => resolveExit({ code, signal })));
  }

  get url(): string {
    return this.baseUrl;
  }

  /** Everything the stage printed so far, stdout and stderr interleaved as received. */
  output(): string {
    return this.log.join('');
  }

  /** What an error message says about the stage: where it runs, whether it died, its last words. */
  describe(): string {
    const output = this.output();
    const tail = output.length > OUTPUT_TAIL_CHARS ? `...${output.slice(-OUTPUT_TAIL_CHARS)}` : output;
    const state = this.exitedWith === null ? 'running' : `npm exited (${this.exitedWith})`;
    return `stage ${this.stage} at ${this.baseUrl || '(not ready)'}, ${state}, data ${this.dataDir}; its output:\n${tail}`;
  }

  /**
   * Starts `npm run stage -- <stage> --port 0 --data <dataDir>` and resolves once it
   * prints `ready <url>`. If it exits or stays silent first, the error carries its output.
   * `env` is added to its environment: with DATABASE_URL or REDIS_URL the stage runner
   * uses that server instead of starting its own.
   */
  static async start(stage: string, dataDir: string, env: Record<string, string> = {}): Promise<StageProcess> {
    const child = spawn('npm', ['run', 'stage', '--', stage, '--port', '0', '--data', dataDir], {
      cwd: repoRoot,
      env: stageEnvironment(env),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const group = child.pid;
    if (group === undefined) {
      const [error] = (await once(child, 'error')) as [Error];
      throw new Error(`could not run npm for stage ${stage}: ${error.message}`);
    }
    liveGroups.add(group);
    const stageProcess = new StageProcess(stage, dataDir, child, group);
    try {
      stageProcess.baseUrl = await stageProcess.waitUntilReady();
      // A stage may run parts of itself in groups of their own (05-replicas' supervisor
      // does, to stop them in order). Whatever signal ends the stage, it has ended only
      // when those are gone too: a restart must not meet the old PostgreSQL still dying.
      for (const processGroup of await groupsUnder(group)) {
        stageProcess.groups.add(processGroup);
        liveGroups.add(processGroup);
      }
    } catch (error) {
      await stageProcess.kill();
      throw error;
    }
    return stageProcess;
  }

  private waitUntilReady(): Promise<string> {
    return new Promise((resolveReady, rejectReady) => {
      let pending = '';
      let settled = false;
      const settle = (error: Error | null, url = '') => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (error) rejectReady(error);
        else resolveReady(url);
      };
      const timer = setTimeout(
        () => settle(new Error(`no ready line within ${READY_TIMEOUT_MS / 1000} s; ${this.describe()}`)),
        READY_TIMEOUT_MS,
      );
      this.child.stdout?.setEncoding('utf8');
      this.child.stderr?.setEncoding('utf8');
      this.child.stdout?.on('data', (chunk: string) => {
        this.log.push(chunk);
        pending += chunk;
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const ready = /^ready (http:\/\/\S+)$/.exec(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
          if (ready) settle(null, ready[1] as string);
        }
      });
      this.child.stderr?.on('data', (chunk: string) => this.log.push(chunk));
      this.child.once('exit', (code, signal) => {
        this.exitedWith = signal ?? `code ${code}`;
        settle(new Error(`the stage exited before it was ready; ${this.describe()}`));
      });
      this.child.once('error', (error) => settle(new Error(`could not run npm for stage ${this.stage}: ${error.message}`)));
    });
  }

  /**
   * SIGTERM to the whole group, as an orchestrator stops a service; resolves once every
   * process of it has exited. A stage that does not drain in time is killed and the
   * call fails. (npm, signalled itself, ends by the signal, so the stage's own exit
   * status is not visible here; `terminateNpm` and `npmExited` test that path.)
   */
  async stop(): Promise<void> {
    this.terminateNow();
    try {
      await this.exited();
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** SIGKILL to the whole group: the crash every write must survive. Resolves once all of it is gone. */
  async kill(): Promise<void> {
    this.killNow();
    await this.exited();
  }

  /** Sends the group its SIGKILL and returns at once: for crashing it while requests are in flight. */
  killNow(): void {
    signalGroup(this.group, 'SIGKILL');
  }

  /**
   * SIGTERM to npm alone, as `docker stop` sends it to a container's first process or
   * a supervisor to the process it started; npm passes it to the script it runs.
   */
  terminateNpm(): void {
    this.child.kill('SIGTERM');
  }

  /** How `npm run stage` itself ended: its status is the stage runner's when the signal reached the runner. */
  npmExited(): Promise<ExitStatus> {
    return this.npmExit;
  }

  /** Sends the group SIGTERM and returns at once: for shutting it down while requests are in flight. */
  terminateNow(): void {
    signalGroup(this.group, 'SIGTERM');
  }

  /**
   * The pid of the stage program itself (the stage runner's child, running
   * `stages/<stage>/src/main.ts`), found among the group's processes in /proc: a
   * dependency's outage must not restart it.
   */
  async appPid(): Promise<number> {
    const program = `stages/${this.stage}/src/main.ts`;
    const found: number[] = [];
    for (const [pid, [, processGroup]] of await processTable()) {
      if (processGroup !== this.group) continue;
      try {
        const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
        if (commandLine.some((arg) => arg.endsWith(program))) found.push(pid);
      } catch {
        // The process ended while we looked.
      }
    }
    if (found.length !== 1) throw new Error(`expected one process running ${program}, found ${found.length}; ${this.describe()}`);
    return found[0] as number;
  }

  /** Resolves once every process of the group has exited (after killNow or terminateNow). */
  async exited(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    if (!(await waitForGroupsExit(this.groups, timeoutMs))) {
      throw new Error(`stage ${this.stage} is still running ${timeoutMs / 1000} s after it was signalled; ${this.describe()}`);
    }
    for (const processGroup of this.groups) liveGroups.delete(processGroup);
  }
}

export function startStage(stage: string, dataDir: string, env: Record<string, string> = {}): Promise<StageProcess> {
  return StageProcess.start(stage, dataDir, env);
}

// ---------------------------------------------------------------------------------
// The HTTP client

const validator = createOpenApiValidator();

/** The request got no HTTP answer at all: refused, reset, or cut off (as when the stage is killed). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

/** A response, already checked against the OpenAPI document. */
export interface Reply<T = unknown> {
  /** `METHOD /path`, for messages. */
  request: string;
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON for JSON media types, the text otherwise, null when empty. */
  body: T;
}

export interface CallOptions {
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  idempotencyKey?: string;
  /** Serialised, with `Content-Type: application/json`. */
  json?: unknown;
  /** Sent as is, with `contentType` when given. */
  body?: string | Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

/** RFC 9457, as CONTRACT.md shapes it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { path: string; message: string }[];
}

export interface Giftee {
  name: string;
  wishlist: string;
}

export interface MeView {
  participant: Participant;
  exchange: Exchange;
  giftee: Giftee | null;
}

export interface ParticipantPage {
  items: Participant[];
  nextCursor: string | null;
}

export interface CreateExchangeBody {
  name: string;
  budget?: { amount: number; currency: string } | null;
  exchangeDate?: string | null;
  rules?: { singleCycle?: boolean };
}

export interface NewParticipant {
  name: string;
  email: string;
  wishlist?: string;
}

/** What creating an exchange hands the organizer. */
export interface Organizer {
  id: string;
  exchange: Exchange;
  organizerToken: string;
  inviteCode: string;
}

/** A participant with their private token. */
export interface Member {
  participant: Participant;
  participantToken: string;
}

function parseBody(text: string, contentType: string, request: string): unknown {
  if (text === '') return null;
  if (!/^application\/([a-z.+-]+\+)?json/i.test(contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${request}: the body is not the JSON its Content-Type says: ${text.slice(0, 500)}`);
  }
}

function nodeHeadersToFetch(headers: IncomingHttpHeaders): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) result.append(name, one);
  }
  return result;
}

/** Fails with the whole exchange in the message unless the reply has the expected status. */
export function expectStatus<T>(reply: Reply, status: number): Reply<T> {
  if (reply.status !== status) {
    throw new Error(`${reply.request}: expected ${status}, got ${reply.status}: ${reply.text.slice(0, 2000)}`);
  }
  return reply as Reply<T>;
}

/** The problem document of an error reply with this status (and code, when given). */
export function expectProblem(reply: Reply, status: number, code?: string): Problem {
  expectStatus(reply, status);
  const contentType = reply.headers.get('content-type') ?? '';
  if (!contentType.startsWith('application/problem+json')) {
    throw new Error(`${reply.request}: a ${status} must be application/problem+json, not ${contentType}`);
  }
  const problem = reply.body as Problem;
  if (code !== undefined && problem.code !== code) {
    throw new Error(`${reply.request}: expected code ${code}, got ${problem.code}: ${reply.text.slice(0, 2000)}`);
  }
  if (problem.status !== status || problem.type !== `urn:santa-ladder:problem:${problem.code}`) {
    throw new Error(`${reply.request}: the problem's status and type must match the reply: ${reply.text}`);
  }
  return problem;
}

export const exchangePath = (exchangeId: string, suffix = ''): string => `/api/v1/exchanges/${exchangeId}${suffix}`;

/**
 * Requests to one stage. `call` returns any status (checked against the OpenAPI
 * document); the named helpers perform one contract operation and fail unless it succeeds.
 */
export class StageClient {
  /** Every token this client has been issued, for checking that none leaks where it must not. */
  readonly issuedTokens = new Set<string>();

  constructor(
    private readonly baseUrl: () => string,
    private readonly context: () => string = () => '',
  ) {}

  get url(): string {
    return this.baseUrl();
  }

  async call<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = {};
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.idempotencyKey !== undefined) headers['idempotency-key'] = options.idempotencyKey;
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (options.contentType !== undefined) headers['content-type'] = options.contentType;
    Object.assign(headers, options.headers);

    const request = `${method} ${path}`;
    let response: Response;
    try {
      response = await fetch(this.baseUrl() + path, {
        method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new NetworkError(`${request} failed: ${(error as Error).message} (${String((error as Error).cause ?? '')})\n${this.context()}`, {
        cause: error,
      });
    }
    const text = await response.text();
    const parsed = parseBody(text, response.headers.get('content-type') ?? '', request);
    validator.assert({ method, path, status: response.status, headers: response.headers, body: parsed });
    this.collectTokens(parsed);
    return { request, status: response.status, headers: response.headers, text, body: parsed as T };
  }

  private collectTokens(body: unknown): void {
    if (body === null || typeof body !== 'object') return;
    const { organizerToken, participantToken, participants } = body as Record<string, unknown>;
    for (const token of [organizerToken, participantToken]) if (typeof token === 'string') this.issuedTokens.add(token);
    if (Array.isArray(participants)) for (const added of participants) this.collectTokens(added);
  }

  /**
   * A request written by hand over node:http, for what fetch cannot send: a body the
   * server refuses mid-stream, a Content-Length that is never honoured, a body held
   * back. `send` writes the body (and may end the request); errors writing it after
   * the server has answered are expected, since a server may close a connection it
   * refused.
   */
  raw(
    method: string,
    path: string,
    headers: Record<string, string | number>,
    send: (req: ClientRequest, answered: () => boolean) => void | Promise<void>,
  ): Promise<Reply> {
    const request = `${method} ${path}`;
    const url = new URL(path, this.baseUrl());
    return new Promise((resolveReply, rejectReply) => {
      let answered = false;
      const req = httpRequest(url, { method, headers, agent: false, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', rejectReply);
        res.on('end', () => {
          try {
            const text = Buffer.concat(chunks).toString('utf8');
            const body = parseBody(text, String(res.headers['content-type'] ?? ''), request);
            const status = res.statusCode ?? 0;
            validator.assert({ method, path, status, headers: res.headers, body });
            this.collectTokens(body);
            resolveReply({ request, status, headers: nodeHeadersToFetch(res.headers), text, body });
          } catch (error) {
            rejectReply(error);
          } finally {
            // Whatever the body still had to send is no longer wanted.
            req.destroy();
          }
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${request}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', (error) => {
        if (!answered) rejectReply(new NetworkError(`${request} failed: ${error.message}\n${this.context()}`, { cause: error }));
      });
      Promise.resolve(send(req, () => answered)).catch((error: unknown) => req.destroy(error as Error));
    });
  }

  // ----- contract operations that must succeed

  async createExchange(body: CreateExchangeBody = { name: 'Office party' }, options: CallOptions = {}): Promise<Organizer> {
    const reply = await this.call('POST', '/api/v1/exchanges', { ...options, json: body });
    const created = expectStatus<Omit<Organizer, 'id'>>(reply, 201).body;
    return { id: created.exchange.id, ...created };
  }

  async dashboard(organizer: Organizer): Promise<Exchange> {
    const reply = await this.call('GET', exchangePath(organizer.id), { token: organizer.organizerToken });
    return expectStatus<{ exchange: Exchange }>(reply, 200).body.exchange;
  }

  async addParticipant(organizer: Organizer, participant: NewParticipant, options: CallOptions = {}): Promise<Member> {
    const reply = await this.call('POST', exchangePath(organizer.id, '/participants'), {
      ...options,
      token: organizer.organizerToken,
      json: participant,
    });
    return expectStatus<Member>(reply, 201).body;
  }

  async join(organizer: Pick<Organizer, 'id' | 'inviteCode'>, participant: NewParticipant, options: CallOptions = {}): Promise<Member> {
    const reply = await this.call('POST', exchangePath(organizer.id, '/join'), {
      ...options,
      json: { inviteCode: organizer.inviteCode, ...participant },
    });
    return expectStatus<Member>(reply, 201).body;
  }

  async importCsv(organizer: Organizer, csv: string, options: CallOptions = {}): Promise<Member[]> {
    const reply = await this.call('POST', exchangePath(organizer.id, '/participants.csv'), {
      ...options,
      token: organizer.organizerToken,
      body: csv,
      contentType: 'text/csv',
    });
    return expectStatus<{ created: number; participants: Member[] }>(reply, 201).body.participants;
  }

  async exportCsv(organizer: Organizer): Promise<Reply<string>> {
    const reply = await this.call('GET', exchangePath(organizer.id, '/participants.csv'), { token: organizer.organizerToken });
    return expectStatus<string>(reply, 200);
  }

  async page(organizer: Organizer, query = ''): Promise<ParticipantPage> {
    const reply = await this.call('GET', exchangePath(organizer.id, `/participants${query}`), { token: organizer.organizerToken });
    return expectStatus<ParticipantPage>(reply, 200).body;
  }

  /** Every participant, walking the pages with `limit`; also checks that only the last page has no cursor. */
  async allParticipants(organizer: Organizer, limit = 500): Promise<Participant[]> {
    const all: Participant[] = [];
    let cursor: string | null = null;
    do {
      const query = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page: ParticipantPage = await this.page(organizer, query);
      if (page.items.length > limit) throw new Error(`a page of limit ${limit} held ${page.items.length} participants`);
      if (page.nextCursor !== null && page.items.length < limit) {
        throw new Error(`a page of ${page.items.length} < limit ${limit} gave a next cursor`);
      }
      all.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return all;
  }

  async removeParticipant(organizer: Organizer, participantId: string): Promise<void> {
    const reply = await this.call('DELETE', exchangePath(organizer.id, `/participants/${participantId}`), {
      token: organizer.organizerToken,
    });
    expectStatus(reply, 204);
  }

  async exclusions(organizer: Organizer): Promise<Exclusion[]> {
    const reply = await this.call('GET', exchangePath(organizer.id, '/exclusions'), { token: organizer.organizerToken });
    return expectStatus<{ exclusions: Exclusion[] }>(reply, 200).body.exclusions;
  }

  async replaceExclusions(organizer: Organizer, exclusions: Exclusion[]): Promise<Exclusion[]> {
    const reply = await this.call('PUT', exchangePath(organizer.id, '/exclusions'), {
      token: organizer.organizerToken,
      json: { exclusions },
    });
    return expectStatus<{ exclusions: Exclusion[] }>(reply, 200).body.exclusions;
  }

  async draw(organizer: Organizer, options: CallOptions = {}): Promise<Exchange> {
    const reply = await this.call('POST', exchangePath(organizer.id, '/draw'), { ...options, token: organizer.organizerToken });
    return expectStatus<{ exchange: Exchange }>(reply, 200).body.exchange;
  }

  async me(participantToken: string): Promise<MeView> {
    return expectStatus<MeView>(await this.call('GET', '/api/v1/me', { token: participantToken }), 200).body;
  }

  async updateWishlist(participantToken: string, wishlist: string): Promise<Participant> {
    const reply = await this.call('PUT', '/api/v1/me/wishlist', { token: participantToken, json: { wishlist } });
    return expectStatus<{ participant: Participant }>(reply, 200).body.participant;
  }

  /**
   * What the organizer can see of an exchange, for checking that a request changed
   * nothing: the dashboard, every participant in order, the exclusions.
   */
  async snapshot(organizer: Organizer): Promise<{ exchange: Exchange; participants: Participant[]; exclusions: Exclusion[] }> {
    const [exchange, participants, exclusions] = [
      await this.dashboard(organizer),
      await this.allParticipants(organizer),
      await this.exclusions(organizer),
    ];
    return { exchange, participants, exclusions };
  }
}

// ---------------------------------------------------------------------------------
// Test data and load

/** Participant `index` of a batch: a distinct name and address per tag and index. */
export function person(tag: string, index: number, wishlist?: string): NewParticipant {
  const participant: NewParticipant = { name: `${tag} ${index}`, email: `${tag.toLowerCase().replace(/[^a-z0-9]/g, '')}.${index}@example.com` };
  if (wishlist !== undefined) participant.wishlist = wishlist;
  return participant;
}

/**
 * Runs `task` for every item with at most `limit` in flight, and settles every one
 * (a failed task does not stop the others). Results are in item order.
 */
export async function runConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { status: 'fulfilled', value: await task(items[index] as T, index) };
      } catch (reason) {
        results[index] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The values of fulfilled results; throws the first rejection, if any. */
export function fulfilled<R>(results: PromiseSettledResult<R>[]): R[] {
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) throw (failure as PromiseRejectedResult).reason;
  return results.map((result) => (result as PromiseFulfilledResult<R>).value);
}

/** A CSV body with the contract's header and these rows, quoted as needed (RFC 4180). */
export function participantsCsv(rows: readonly (readonly string[])[], header: readonly string[] = ['name', 'email', 'wishlist']): string {
  return stringify([header, ...rows], { record_delimiter: '\r\n' });
}

export function csvRows(participants: readonly NewParticipant[]): string[][] {
  return participants.map(({ name, email, wishlist }) => [name, email, wishlist ?? '']);
}

/** The records of a CSV text, header included, exactly as written (no trimming, no casting). */
export function parseCsv(text: string): string[][] {
  return parse(text, { bom: false, relax_column_count: true }) as string[][];
}
