import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExchange, startHarness, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness({ clock: () => Date.parse('2026-12-01T10:00:00.000Z') });
});
afterAll(() => harness.close());

describe('POST /api/v1/exchanges', () => {
  it('creates an exchange and shows its organizer token and invite code once', async () => {
    const reply = await harness.call('POST', '/api/v1/exchanges', {
      json: { name: '  Office 🎄  ', budget: { amount: 25.5, currency: 'EUR' }, exchangeDate: '2026-12-24', rules: { singleCycle: true } },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.exchange).toEqual({
      id: expect.any(String),
      name: 'Office 🎄',
      budget: { amount: 25.5, currency: 'EUR' },
      exchangeDate: '2026-12-24',
      rules: { singleCycle: true },
      status: 'open',
      participantCount: 0,
      wishlistCount: 0,
      exclusionCount: 0,
      createdAt: '2026-12-01T10:00:00.000Z',
      drawnAt: null,
    });
    expect(reply.body.organizerToken).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(reply.body.inviteCode).toMatch(/^[A-Za-z0-9_-]{11,}$/);
    expect(reply.headers.get('cache-control')).toBe('no-store');
  });

  it('fills in the defaults: no budget, no date, no single cycle', async () => {
    const reply = await harness.call('POST', '/api/v1/exchanges', { json: { name: 'Family' } });
    expect(reply.status).toBe(201);
    expect(reply.body.exchange).toMatchObject({ budget: null, exchangeDate: null, rules: { singleCycle: false } });
  });

  it('lists every invalid field with a JSON Pointer', async () => {
    const reply = await harness.call('POST', '/api/v1/exchanges', {
      json: {
        name: ' ',
        budget: { amount: 1.005, currency: 'eur' },
        exchangeDate: '2026-02-29',
        rules: { singleCycle: 'yes' },
        colour: 'red',
      },
    });
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe('validation_failed');
    expect(reply.body.type).toBe('urn:santa-ladder:problem:validation_failed');
    expect(reply.body.errors.map((error: { path: string }) => error.path).sort()).toEqual(
      ['/budget/amount', '/budget/currency', '/colour', '/exchangeDate', '/name', '/rules/singleCycle'].sort(),
    );
  });

  it.each([
    ['a name over 100 characters', { name: 'x'.repeat(101) }, '/name'],
    ['a budget over 1,000,000', { name: 'A', budget: { amount: 1_000_000.01, currency: 'EUR' } }, '/budget/amount'],
    ['a negative budget', { name: 'A', budget: { amount: -1, currency: 'EUR' } }, '/budget/amount'],
    ['a currency that does not exist', { name: 'A', budget: { amount: 5, currency: 'XYZ' } }, '/budget/currency'],
    ['a date that is not a date', { name: 'A', exchangeDate: '24.12.2026' }, '/exchangeDate'],
    ['a control character in the name', { name: 'A\u0007B' }, '/name'],
    ['a body that is not an object', ['Office'], ''],
  ])('refuses %s', async (_, json, path) => {
    const reply = await harness.call('POST', '/api/v1/exchanges', { json });
    expect(reply.status).toBe(422);
    expect(reply.body.errors).toContainEqual({ path, message: expect.any(String) });
  });

  it('counts characters, not UTF-16 units: 100 emoji are a valid name', async () => {
    const reply = await harness.call('POST', '/api/v1/exchanges', { json: { name: '🎁'.repeat(100) } });
    expect(reply.status).toBe(201);
  });

  it('answers malformed JSON with 400', async () => {
    const reply = await harness.call('POST', '/api/v1/exchanges', { body: '{"name": "Office"', contentType: 'application/json' });
    expect(reply.status).toBe(400);
    expect(reply.body.code).toBe('malformed_json');
    expect(reply.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
  });

  it('answers invalid UTF-8 with 400', async () => {
    const reply = await harness.call('POST', '/api/v1/exchanges', {
      body: new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
      contentType: 'application/json',
    });
    expect(reply.status).toBe(400);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['no content type', undefined],
    ['a charset other than UTF-8', 'application/json; charset=iso-8859-1'],
  ])('answers %s with 415', async (_, contentType) => {
    const reply = await harness.call('POST', '/api/v1/exchanges', {
      body: JSON.stringify({ name: 'Office' }),
      ...(contentType !== undefined && { contentType }),
    });
    expect(reply.status).toBe(415);
    expect(reply.body.code).toBe('unsupported_media_type');
  });

  it('accepts application/json with a UTF-8 charset', async () => {
    const reply = await harness.call('POST', '/api/v1/exchanges', {
      body: JSON.stringify({ name: 'Office' }),
      contentType: 'application/json; charset=UTF-8',
    });
    expect(reply.status).toBe(201);
  });
});

describe('GET /api/v1/exchanges/:id', () => {
  it('is the dashboard: the exchange with exact counts, no secret', async () => {
    const organizer = await createExchange(harness, { name: 'Office' });
    await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/participants`, {
      token: organizer.organizerToken,
      json: { name: 'Ann', email: 'ann@example.com', wishlist: 'Socks' },
    });
    await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/participants`, {
      token: organizer.organizerToken,
      json: { name: 'Bob', email: 'bob@example.com' },
    });
    const reply = await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken });
    expect(reply.status).toBe(200);
    expect(reply.body.exchange).toMatchObject({ id: organizer.exchangeId, participantCount: 2, wishlistCount: 1, exclusionCount: 0 });
    expect(reply.text).not.toContain(organizer.organizerToken);
    expect(reply.text).not.toContain(organizer.inviteCode);
  });

  it('answers HEAD like GET, without a body', async () => {
    const organizer = await createExchange(harness);
    const reply = await harness.call('HEAD', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('');
  });
});

describe('routing', () => {
  it('answers an unknown path with a 404 problem', async () => {
    const reply = await harness.call('GET', '/api/v1/nothing-here');
    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ code: 'not_found', status: 404, type: 'urn:santa-ladder:problem:not_found' });
  });

  it('answers a path that cannot be decoded with 404, not 500', async () => {
    const reply = await harness.call('GET', '/api/v1/exchanges/%E0%A4%A');
    expect(reply.status).toBe(404);
  });

  it('answers a wrong method with 405 and Allow', async () => {
    const reply = await harness.call('DELETE', '/api/v1/exchanges');
    expect(reply.status).toBe(405);
    expect(reply.headers.get('allow')).toBe('POST, OPTIONS');
    expect(reply.body.code).toBe('method_not_allowed');
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const reply = await harness.call('OPTIONS', '/api/v1/exchanges/some-id/participants');
    expect(reply.status).toBe(204);
    expect(reply.headers.get('allow')).toBe('GET, POST, HEAD, OPTIONS');
  });
});
