/**
 * The scenario library against small fake servers on loopback: what it refuses before
 * sending load, and how a POST is retried. No stage needed; each k6 run lasts a second.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K6_EXIT, K6_VERSION, assertLoopback, k6Binary, k6Version, runScenario, type DatasetTokens } from './index';

let dir: string;
let tokensFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'santa-loadtest-'));
  tokensFile = join(dir, 'tokens.json');
  const tokens: DatasetTokens = {
    seed: 1,
    participants: 1,
    exchanges: [{ id: 'exchange-1', organizerToken: 'organizer-1', inviteCode: 'invite-1', drawn: false }],
    participantTokens: ['participant-1'],
  };
  await writeFile(tokensFile, JSON.stringify(tokens));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function listen(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const quick = { RATE: 2, DURATION: '1s', PRE_ALLOCATED_VUS: 2, MAX_VUS: 4 };

describe('k6', () => {
  it('is the pinned version, found through infra/toolchain/k6.sh', async () => {
    expect(await k6Binary()).toMatch(/\/k6$/);
    expect(await k6Version()).toContain(`k6 ${K6_VERSION} `);
  });
});

describe('the scenarios refuse to send load', () => {
  it('to a stage whose /readyz answers 503, and send nothing else', async () => {
    const seen: string[] = [];
    const { server, url } = await listen((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.writeHead(req.url === '/readyz' ? 503 : 200).end();
    });
    try {
      const result = await runScenario({ scenario: 'reveal', baseUrl: url, tokensFile, env: quick, summaryFile: join(dir, 'not-ready.json') });
      expect(result.exitCode).toBe(K6_EXIT.scriptError);
      expect(result.outputTail).toContain('is not ready: GET /readyz gave status 503');
      expect(seen).toEqual(['GET /readyz']);
      expect(result.summary?.iterations).toBe(0);
    } finally {
      await close(server);
    }
  });

  it('to a port where nothing listens', async () => {
    const { server, url } = await listen(() => undefined);
    await close(server);
    const result = await runScenario({ scenario: 'dashboard', baseUrl: url, tokensFile, env: quick, summaryFile: join(dir, 'closed.json') });
    expect(result.exitCode).toBe(K6_EXIT.scriptError);
    expect(result.outputTail).toMatch(/is not ready: GET \/readyz gave no answer/);
  });

  it.each(['http://192.0.2.10:3000', 'http://localhost:3000', 'http://127.0.0.1:3000/api'])('to %s, which is not a loopback address', async (baseUrl) => {
    const result = await runScenario({
      scenario: 'reveal',
      baseUrl,
      tokensFile,
      // Should the refusal ever break, k6 itself still blocks every address: nothing leaves the machine.
      env: { ...quick, K6_BLACKLIST_IPS: '0.0.0.0/0,::/0' },
      summaryFile: join(dir, 'remote.json'),
    });
    expect(result.exitCode).toBe(K6_EXIT.scriptError);
    expect(result.outputTail).toMatch(/BASE_URL must (point at this machine's loopback|look like)/);
    expect(result.summary).toBeNull();
  });

  it('in mixed, when every exchange of the token file is drawn and no guest could join', async () => {
    const { server, url } = await listen((_req, res) => res.writeHead(200).end());
    const allDrawn = join(dir, 'all-drawn.json');
    const tokens = JSON.parse(await readFile(tokensFile, 'utf8')) as DatasetTokens;
    await writeFile(allDrawn, JSON.stringify({ ...tokens, exchanges: tokens.exchanges.map((exchange) => ({ ...exchange, drawn: true })) }));
    try {
      const result = await runScenario({ scenario: 'mixed', baseUrl: url, tokensFile: allDrawn, env: quick, summaryFile: join(dir, 'all-drawn-summary.json') });
      expect(result.exitCode).toBe(K6_EXIT.scriptError);
      expect(result.outputTail).toContain('every exchange of the token file is drawn');
    } finally {
      await close(server);
    }
  });

  it('(and so do the Node helpers)', () => {
    expect(() => assertLoopback('http://10.0.0.1:3000')).toThrow(/loopback/);
    expect(() => assertLoopback('http://localhost:3000')).toThrow(/loopback/);
    expect(() => assertLoopback('https://127.0.0.1:3000')).toThrow(/loopback/);
    expect(() => assertLoopback('http://127.0.0.1:3000/api')).toThrow(/loopback/);
    expect(() => assertLoopback('http://127.0.0.1:3000')).not.toThrow();
    expect(() => assertLoopback('http://[::1]:3000')).not.toThrow();
  });
});

/**
 * A fake organizer API whose every POST fails on its first attempt, each route in its
 * own way (connection cut, 503, 502), then succeeds; or, for the draw, never succeeds.
 * It records every attempt by Idempotency-Key.
 */
async function flakyOrganizerApi(drawAlwaysFails: boolean) {
  const attempts = new Map<string, Array<{ path: string; body: string }>>();
  const { server, url } = await listen((req, res, body) => {
    if (req.url === '/readyz') return void res.writeHead(200).end();
    const key = String(req.headers['idempotency-key']);
    const seen = attempts.get(key) ?? [];
    seen.push({ path: req.url ?? '', body });
    attempts.set(key, seen);
    const json = (status: number, payload: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    if (req.url === '/api/v1/exchanges') {
      if (seen.length === 1) return void req.socket.destroy();
      return json(201, { exchange: { id: 'exchange-1' }, organizerToken: 'organizer-1', inviteCode: 'invite-1' });
    }
    if (req.url === '/api/v1/exchanges/exchange-1/participants') {
      return seen.length === 1 ? json(503, { code: 'unavailable' }) : json(201, { participant: {}, participantToken: 'p' });
    }
    if (req.url === '/api/v1/exchanges/exchange-1/draw') {
      return seen.length === 1 || drawAlwaysFails ? json(502, {}) : json(200, { exchange: { id: 'exchange-1' } });
    }
    json(404, {});
  });
  return { server, url, attempts };
}

describe('a POST that fails on the way', () => {
  it('is retried with the same Idempotency-Key and body, and the retried attempt does not count as failed', async () => {
    const { server, url, attempts } = await flakyOrganizerApi(false);
    try {
      const result = await runScenario({ scenario: 'organizer', baseUrl: url, env: quick, summaryFile: join(dir, 'retried.json') });
      expect(result.exitCode, result.outputTail).toBe(K6_EXIT.ok);
      const summary = result.summary;
      expect(summary).not.toBeNull();
      expect(attempts.size).toBeGreaterThan(0);
      for (const [key, tries] of attempts) {
        expect(key).toMatch(/^[0-9a-f]{32}$/);
        expect(tries).toHaveLength(2);
        expect(tries[1]).toEqual(tries[0]);
      }
      // A cut connection may be resent by Go's HTTP client itself, below the script: it
      // resends a request with an Idempotency-Key when a reused connection turns out closed.
      // Those retries are not counted; the 502s and 503s are always the script's.
      const answeredWithError = [...attempts.values()].filter((tries) => !tries[0]?.path.endsWith('/exchanges')).length;
      expect(summary?.retriedRequests).toBeGreaterThanOrEqual(answeredWithError);
      expect(summary?.retriedRequests).toBeLessThanOrEqual(attempts.size);
      expect(summary?.failedRate).toBe(0);
      expect(summary?.checksPassRate).toBe(1);
      expect(summary?.thresholdsOk).toBe(true);
    } finally {
      await close(server);
    }
  });

  it('is retried at most three times, then fails', async () => {
    const { server, url, attempts } = await flakyOrganizerApi(true);
    try {
      const result = await runScenario({ scenario: 'organizer', baseUrl: url, env: quick, summaryFile: join(dir, 'gave-up.json') });
      expect(result.exitCode).toBe(K6_EXIT.thresholdsFailed);
      const draws = [...attempts.values()].filter((tries) => tries[0]?.path.endsWith('/draw'));
      expect(draws.length).toBeGreaterThan(0);
      for (const tries of draws) expect(tries).toHaveLength(4);
      const summary = result.summary;
      expect(summary?.byName['POST /exchanges/:id/draw']?.failedRate).toBeGreaterThan(0);
      expect(summary?.failedThresholds).toContain('checks{scenario:organizer} rate>0.99');
      // The raw file is the full summary, with the run plan beside k6's data.
      const raw = JSON.parse(await readFile(join(dir, 'gave-up.json'), 'utf8'));
      expect(raw.run).toMatchObject({ scenario: 'organizer', executor: 'constant-arrival-rate', rate: 2 });
    } finally {
      await close(server);
    }
  });
});

describe('aborting a run', () => {
  it('stops k6 as Ctrl-C does: the run ends early and its summary is still written', async () => {
    const { server, url } = await listen((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
    try {
      const controller = new AbortController();
      let output = '';
      setTimeout(() => controller.abort(), 1_500);
      const result = await runScenario({
        scenario: 'reveal',
        baseUrl: url,
        tokensFile,
        env: { ...quick, DURATION: '60s' },
        summaryFile: join(dir, 'aborted.json'),
        signal: controller.signal,
        onOutput: (chunk) => {
          output += chunk;
        },
      });
      expect(result.exitCode).toBe(K6_EXIT.aborted);
      expect(result.wallSeconds).toBeLessThan(30);
      expect(result.summary?.iterations).toBeGreaterThan(0);
      expect(output).toContain('reveal: constant-arrival-rate, 2/s for 60s');
    } finally {
      await close(server);
    }
  });
});
