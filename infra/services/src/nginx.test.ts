import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, renderNginxConfig, startNginx, type RunningNginx } from './index';

describe('the nginx template', () => {
  it('fills in every name and repeats the server line per upstream', () => {
    const template = 'listen {{listen}};\nupstream u {\n    server {{server}} max_fails=2;\n}\n';
    expect(renderNginxConfig(template, { listen: '127.0.0.1:80' }, ['127.0.0.1:1', '127.0.0.1:2'])).toBe(
      'listen 127.0.0.1:80;\nupstream u {\n    server 127.0.0.1:1 max_fails=2;\n    server 127.0.0.1:2 max_fails=2;\n}\n',
    );
  });

  it('refuses a name without a value and an empty upstream', () => {
    expect(() => renderNginxConfig('listen {{listen}};', {}, ['127.0.0.1:1'])).toThrow('{{listen}}');
    expect(() => renderNginxConfig('listen 80;', {}, [])).toThrow('at least one upstream');
  });
});

/** A stand-in for an app replica: names itself, echoes the request id, and can misbehave on cue. */
interface Backend {
  server: Server;
  address: string;
  /** Requests to /slow wait for this. */
  release: PromiseWithResolvers<void>;
}

async function startBackend(): Promise<Backend> {
  const backend = { release: Promise.withResolvers<void>() } as Backend;
  backend.server = createServer((req, res) => {
    const answer = () => {
      res.setHeader('content-type', 'application/json');
      if (typeof req.headers['x-request-id'] === 'string') res.setHeader('x-request-id', req.headers['x-request-id']);
      res.end(JSON.stringify({ served: backend.address, connection: req.headers.connection ?? null }));
    };
    req.resume();
    req.on('end', () => {
      // A replica that dies with the request in hand.
      if (req.url === '/reset') req.socket.destroy();
      else if (req.url === '/slow') void backend.release.promise.then(answer);
      else answer();
    });
  });
  await new Promise<void>((done) => backend.server.listen(0, '127.0.0.1', done));
  backend.address = `127.0.0.1:${(backend.server.address() as AddressInfo).port}`;
  return backend;
}

/**
 * The access log up to the entry of the request with this id. nginx writes an entry
 * after it has sent the response, so a client can read the log before its own request is in it.
 */
async function accessLog(nginx: RunningNginx, throughRequestId: string | null): Promise<Record<string, unknown>[]> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const text = await readFile(nginx.accessLog, 'utf8');
    const entries = text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const through = entries.findIndex((entry) => entry.requestId === throughRequestId);
    if (through >= 0) return entries.slice(0, through + 1);
    if (Date.now() > deadline) throw new Error(`no access log entry for request ${throughRequestId} within 2 s`);
    await new Promise((done) => setTimeout(done, 20));
  }
}

describe('nginx in front of app servers', () => {
  let one: Backend;
  let two: Backend;
  let nginx: RunningNginx | undefined;
  /** A port nothing listens on: a replica that is down. */
  let downAddress: string;

  beforeAll(async () => {
    [one, two] = await Promise.all([startBackend(), startBackend()]);
    downAddress = `127.0.0.1:${await freePort()}`;
    nginx = await startNginx({ upstreams: [one.address, two.address] });
  });

  afterAll(async () => {
    await nginx?.stop();
    for (const backend of [one, two]) {
      backend?.release.resolve();
      backend?.server.closeAllConnections();
      backend?.server.close();
    }
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${nginx?.url}${path}`, { headers });

  it('balances over every upstream on kept-alive connections, passing the request id through', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const response = await get('/', { 'x-request-id': `trace-${i}` });
      const body = (await response.json()) as { served: string; connection: string | null };
      expect(response.headers.get('x-request-id')).toBe(`trace-${i}`);
      // `Connection: ""` upstream: HTTP/1.1 keep-alive, not nginx's default `close`.
      expect(body.connection).toBeNull();
      served.add(body.served);
    }
    expect(served).toEqual(new Set([one.address, two.address]));

    const generated = await get('/', { 'x-request-id': 'not plain <script>' });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
    const [last] = (await accessLog(nginx as RunningNginx, generated.headers.get('x-request-id'))).slice(-1);
    expect(last).toMatchObject({ method: 'GET', status: 200, requestId: generated.headers.get('x-request-id') });
    expect(String(last?.upstream)).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('refuses bodies over the API limits with a problem document, from Content-Length alone', async () => {
    const response = await fetch(`${nginx?.url}/api/v1/exchanges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(response.headers.get('x-request-id')).not.toBeNull();
    expect(await response.json()).toMatchObject({ status: 413, code: 'payload_too_large' });
    // The CSV route takes up to 5 MiB.
    const csv = await fetch(`${nginx?.url}/api/v1/exchanges/x/participants.csv`, { method: 'POST', body: 'x'.repeat(2 * 1024 * 1024) });
    expect(csv.status).toBe(200);
  });

  it('retries an idempotent request on the next upstream, never a POST it has sent', async () => {
    await nginx?.setUpstreams([downAddress, one.address]);
    let lastId: string | null = null;
    for (let i = 0; i < 4; i++) {
      const response = await get('/');
      expect(response.status).toBe(200);
      lastId = response.headers.get('x-request-id');
    }
    const retried = (await accessLog(nginx as RunningNginx, lastId)).filter((entry) => String(entry.upstream).startsWith(`${downAddress}, `));
    expect(retried.length).toBeGreaterThan(0);

    await nginx?.setUpstreams([one.address, two.address]);
    const get502 = await get('/reset');
    // Both replicas reset the GET: it was tried on each, and nginx answers 503 with a problem.
    expect(get502.status).toBe(503);
    expect(get502.headers.get('retry-after')).toBe('1');
    expect(await get502.json()).toMatchObject({ code: 'service_unavailable' });
    const post = await fetch(`${nginx?.url}/reset`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(503);
    const [getEntry, postEntry] = (await accessLog(nginx as RunningNginx, post.headers.get('x-request-id'))).slice(-2);
    expect(String(getEntry?.upstream).split(', ')).toHaveLength(2);
    expect(String(postEntry?.upstream).split(', ')).toHaveLength(1);
  });

  it('reloads onto new upstreams and stops gracefully, finishing requests in flight', async () => {
    const running = nginx as RunningNginx;
    const slow = get('/slow');
    // The slow request is in a worker of the old configuration; the reload waits for it.
    await new Promise((done) => setTimeout(done, 200));
    let reloadDone = false;
    const reloaded = running.setUpstreams([two.address]).then(() => (reloadDone = true));
    await new Promise((done) => setTimeout(done, 200));
    expect(reloadDone, 'the reload waits for the old worker').toBe(false);
    one.release.resolve();
    two.release.resolve();
    expect((await slow).status).toBe(200);
    await reloaded;
    for (let i = 0; i < 3; i++) expect(((await (await get('/')).json()) as { served: string }).served).toBe(two.address);

    one.release = Promise.withResolvers();
    two.release = Promise.withResolvers();
    const inFlight = get('/slow');
    await new Promise((done) => setTimeout(done, 200));
    let stopDone = false;
    const stopped = running.stop().then(() => (stopDone = true));
    await new Promise((done) => setTimeout(done, 200));
    await expect(get('/'), 'no longer listening').rejects.toThrow();
    expect(stopDone, 'the stop waits for the request in flight').toBe(false);
    two.release.resolve();
    expect((await inFlight).status).toBe(200);
    await stopped;
    expect(existsSync(running.dir)).toBe(false);
    nginx = undefined;
  });
});
