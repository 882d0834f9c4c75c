import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { StoreUnavailableError, type ExchangeStore } from '@santa/domain';
import { createMemoryStore } from '@santa/store-memory';
import { instrumentStore } from '../metrics';
import { addParticipants, createExchange, startHarness, type Harness } from './harness';

let harness: Harness;
afterEach(() => harness.close());

describe('health and readiness', () => {
  it('answers /healthz and /readyz with 200 when the store answers', async () => {
    harness = await startHarness();
    const health = await harness.call('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await harness.call('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });

  it('answers /readyz with 503 and Retry-After when a dependency fails, without its internals', async () => {
    harness = await startHarness({
      readiness: async () => {
        throw new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');
      },
    });
    const ready = await harness.call('GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('1');
    expect(ready.body.code).toBe('service_unavailable');
    expect(ready.text).not.toContain('hunter2');
    expect((await harness.call('GET', '/healthz')).status).toBe(200);
  });
});

describe('failures', () => {
  it('answers 503 with Retry-After when the store is unavailable', async () => {
    const store = createMemoryStore();
    harness = await startHarness({ store });
    const organizer = await createExchange(harness);
    await store.close();
    const reply = await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken });
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('1');
    expect(reply.body.code).toBe('service_unavailable');
  });

  it('answers an unexpected error with a bare 500, and logs it', async () => {
    const store = createMemoryStore();
    const broken: ExchangeStore = Object.assign(Object.create(null) as ExchangeStore, store, {
      getMeView: async () => {
        throw new TypeError('cannot read property secretSauce of undefined');
      },
    });
    harness = await startHarness({ store: broken });
    const response = await fetch(`${harness.url}/api/v1/me`, { headers: { authorization: 'Bearer sp_whatever' } });
    const body = (await response.json()) as { code: string; detail: string };
    expect(response.status).toBe(500);
    expect(body.code).toBe('internal_error');
    expect(JSON.stringify(body)).not.toContain('secretSauce');
    const logged = harness.logs.find((line) => line.msg === 'request failed');
    expect(logged).toMatchObject({ level: 50, err: { message: expect.stringContaining('secretSauce') } });
  });

  it('passes StoreUnavailableError retry hints through', async () => {
    const store = createMemoryStore();
    const down: ExchangeStore = Object.assign(Object.create(null) as ExchangeStore, store, {
      getMeView: async () => {
        throw new StoreUnavailableError('The database is restarting.', 5);
      },
    });
    harness = await startHarness({ store: down });
    const reply = await harness.call('GET', '/api/v1/me', { token: 'sp_whatever' });
    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toBe('5');
    expect(reply.body.detail).toBe('The database is restarting.');
  });
});

describe('metrics', () => {
  it('exposes the request histogram by method, route template and status, and store counters', async () => {
    const registry = new Registry();
    const store = instrumentStore(createMemoryStore(), registry);
    harness = await startHarness({ store, registry });
    const organizer = await createExchange(harness);
    await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken });
    await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: 'so_wrong' });
    await harness.call('GET', '/no/such/path');

    const reply = await harness.call('GET', '/metrics');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = reply.text;
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/api/v1/exchanges/:id",status="200"} 1');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="/api/v1/exchanges/:id",status="401"} 1');
    expect(text).toContain('http_request_duration_seconds_count{method="POST",route="/api/v1/exchanges",status="201"} 1');
    expect(text).toContain('http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1');
    expect(text).toContain('santa_store_operations_total{method="getExchangeByOrganizerTokenHash"} 2');
    expect(text).toContain('santa_store_operations_total{method="createExchange"} 1');
    expect(text).toContain('santa_store_operation_duration_seconds_count{method="createExchange"} 1');
    expect(text).toContain('santa_stage_info{stage="test"} 1');
    expect(text).toContain('process_cpu_seconds_total');
    expect(text).not.toContain(organizer.exchangeId);
  });

  it('counts store errors by method and code, and lets several apps share one registry', async () => {
    const registry = new Registry();
    const store = instrumentStore(instrumentStore(createMemoryStore(), registry), registry);
    harness = await startHarness({ store, registry });
    const second = await startHarness({ store, registry });
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann', 'Bob']);
    await second.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/draw`, { token: organizer.organizerToken });
    await second.close();
    const text = (await harness.call('GET', '/metrics')).text;
    // Wrapped twice, so every call counts twice: proof that both wrappers share the metrics.
    expect(text).toContain('santa_store_errors_total{method="draw",code="too_few_participants"} 2');
  });
});

describe('request logs', () => {
  it('writes one line per request with method, route, status, duration and request id', async () => {
    harness = await startHarness();
    const reply = await harness.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(reply.headers.get('x-request-id')).toBe('trace-abc.123');
    const line = harness.logs.find((entry) => entry.msg === 'request');
    expect(line).toMatchObject({
      level: 30,
      stage: 'test',
      reqId: 'trace-abc.123',
      method: 'GET',
      route: '/healthz',
      path: '/healthz',
      status: 200,
      durationMs: expect.any(Number),
    });
  });

  it('redacts secrets from anything else logged through the app logger', async () => {
    const store = createMemoryStore();
    const leaky: ExchangeStore = Object.assign(Object.create(null) as ExchangeStore, store, {
      getMeView: async () => {
        throw Object.assign(new Error('driver failure'), {
          headers: { authorization: 'Bearer sp_leaked' },
          participantToken: 'sp_leaked',
        });
      },
    });
    harness = await startHarness({ store: leaky });
    const response = await fetch(`${harness.url}/api/v1/me`, { headers: { authorization: 'Bearer sp_whatever' } });
    expect(response.status).toBe(500);
    expect(harness.logs.find((entry) => entry.msg === 'request failed')).toMatchObject({
      err: { message: 'driver failure', participantToken: '[redacted]', headers: { authorization: '[redacted]' } },
    });
    expect(harness.logText()).not.toContain('leaked');
  });

  it('logs why readiness failed, once, with its cause', async () => {
    harness = await startHarness({
      readiness: async () => {
        throw new Error('connection refused');
      },
    });
    await harness.call('GET', '/readyz');
    const failures = harness.logs.filter((entry) => entry.level === 40);
    expect(failures).toHaveLength(1);
    expect(JSON.stringify(failures[0])).toContain('connection refused');
  });

  it('replaces a request id that is not sane', async () => {
    harness = await startHarness();
    const reply = await harness.call('GET', '/healthz', { headers: { 'x-request-id': 'a b<script>' } });
    expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never logs a token, an invite code, an Authorization header or a query string', async () => {
    harness = await startHarness();
    const organizer = await createExchange(harness);
    const base = `/api/v1/exchanges/${organizer.exchangeId}`;
    const joined = await harness.call('POST', `${base}/join`, {
      json: { inviteCode: organizer.inviteCode, name: 'Eve', email: 'eve@example.com' },
      headers: { 'idempotency-key': 'join-eve' },
    });
    const members = await addParticipants(harness, organizer, ['Ann', 'Bob']);
    const page = await harness.call('GET', `${base}/participants?limit=1`, { token: organizer.organizerToken });
    await harness.call('GET', `${base}/participants?limit=1&cursor=${page.body.nextCursor}`, { token: organizer.organizerToken });
    await harness.call('POST', `${base}/draw`, { token: organizer.organizerToken });
    for (const member of members) await harness.call('GET', '/api/v1/me', { token: member.token });
    await harness.call('GET', '/api/v1/me', { token: 'sp_not-a-token-anyone-has' });
    await harness.call('POST', '/api/v1/exchanges', { body: '{"oops', contentType: 'application/json' });

    const logs = harness.logText();
    expect(harness.logs.filter((line) => line.msg === 'request').length).toBeGreaterThanOrEqual(9);
    const secrets = [
      organizer.organizerToken,
      organizer.inviteCode,
      joined.body.participantToken,
      ...members.map(({ token }) => token),
      'sp_not-a-token-anyone-has',
      page.body.nextCursor,
    ];
    for (const secret of secrets) expect(logs).not.toContain(secret);
    expect(logs.toLowerCase()).not.toContain('bearer');
    expect(logs).not.toContain('?');
  });
});

describe('the OpenAPI document', () => {
  it('is served at /api/v1/openapi.json', async () => {
    harness = await startHarness();
    const reply = await harness.call('GET', '/api/v1/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toBe('3.1.0');
    expect(Object.keys(reply.body.paths)).toContain('/api/v1/me');
  });
});
