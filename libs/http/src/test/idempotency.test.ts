import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret, idempotencyKeyHash, type ExchangeStore } from '@santa/domain';
import { createMemoryStore } from '@santa/store-memory';
import { addParticipants, createExchange, startHarness, type Harness } from './harness';

let harness: Harness;
afterEach(() => harness.close());

const body = { name: 'Office', budget: { amount: 10, currency: 'EUR' } };

describe('Idempotency-Key', () => {
  it('replays the first response to a repeat and changes nothing', async () => {
    harness = await startHarness();
    const headers = { 'idempotency-key': 'create-office-1' };
    const first = await harness.call('POST', '/api/v1/exchanges', { json: body, headers });
    const second = await harness.call('POST', '/api/v1/exchanges', { json: body, headers });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.text).toBe(first.text);
    // The replayed token is the one that works: no second exchange was made.
    const read = await harness.call('GET', `/api/v1/exchanges/${second.body.exchange.id}`, { token: second.body.organizerToken });
    expect(read.status).toBe(200);
  });

  it('refuses the same key with a different body', async () => {
    harness = await startHarness();
    const headers = { 'idempotency-key': 'k-1' };
    await harness.call('POST', '/api/v1/exchanges', { json: body, headers });
    const reused = await harness.call('POST', '/api/v1/exchanges', { json: { ...body, name: 'Other' }, headers });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
  });

  it('scopes a key to its path and credential', async () => {
    harness = await startHarness();
    const organizer = await createExchange(harness);
    const headers = { 'idempotency-key': 'same-key' };
    const created = await harness.call('POST', '/api/v1/exchanges', { json: body, headers });
    const added = await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/participants`, {
      token: organizer.organizerToken,
      json: { name: 'Ann', email: 'ann@example.com' },
      headers,
    });
    expect(created.status).toBe(201);
    expect(added.status).toBe(201);
    expect(added.headers.get('idempotent-replayed')).toBeNull();
  });

  it('records only successes: a failed request can be retried with the same key', async () => {
    harness = await startHarness();
    const organizer = await createExchange(harness);
    const members = await addParticipants(harness, organizer, ['Ann', 'Bob']);
    const drawPath = `/api/v1/exchanges/${organizer.exchangeId}/draw`;
    const headers = { 'idempotency-key': 'draw-1' };

    const tooFew = await harness.call('POST', drawPath, { token: organizer.organizerToken, headers });
    expect(tooFew.status).toBe(422);
    await addParticipants(harness, organizer, ['Cy']);
    const drawn = await harness.call('POST', drawPath, { token: organizer.organizerToken, headers });
    expect(drawn.status).toBe(200);
    expect(drawn.headers.get('idempotent-replayed')).toBeNull();

    // A repeat of the successful draw replays its 200 instead of answering 409.
    const repeat = await harness.call('POST', drawPath, { token: organizer.organizerToken, headers });
    expect(repeat.status).toBe(200);
    expect(repeat.headers.get('idempotent-replayed')).toBe('true');
    expect(repeat.text).toBe(drawn.text);
    expect(members).toHaveLength(2);
  });

  it('replays a join with the same participant token', async () => {
    harness = await startHarness();
    const organizer = await createExchange(harness);
    const request = {
      json: { inviteCode: organizer.inviteCode, name: 'Eve', email: 'eve@example.com' },
      headers: { 'idempotency-key': 'join-eve' },
    };
    const first = await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/join`, request);
    const second = await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/join`, request);
    expect(second.status).toBe(201);
    expect(second.body.participantToken).toBe(first.body.participantToken);
    const exchange = await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken });
    expect(exchange.body.exchange.participantCount).toBe(1);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not visible ASCII', 'clé'],
    ['containing a space', 'two words'],
  ])('refuses a key that is %s with 422', async (_, key) => {
    harness = await startHarness();
    const reply = await harness.call('POST', '/api/v1/exchanges', { json: body, headers: { 'idempotency-key': key } });
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe('validation_failed');
  });

  it('stores the response sealed: the record holds no token in the clear', async () => {
    const store = createMemoryStore();
    harness = await startHarness({ store });
    const key = 'sealed-1';
    const created = await harness.call('POST', '/api/v1/exchanges', { json: body, headers: { 'idempotency-key': key } });
    const keyHash = idempotencyKeyHash({ method: 'POST', path: '/api/v1/exchanges', credentialHash: '' }, key);
    const record = await store.getIdempotencyRecord(keyHash, '1970-01-01T00:00:00.000Z');
    expect(record).not.toBeNull();
    const stored = JSON.stringify(record);
    expect(stored).not.toContain(created.body.organizerToken);
    expect(stored).not.toContain(created.body.inviteCode);
    expect(stored).not.toContain(hashSecret(created.body.organizerToken));
    expect(stored).not.toContain(key);
  });

  it('does the work once for two concurrent twins, and both get the same answer', async () => {
    // Both twins look the key up before either writes, so the second write meets the
    // first one's record (idempotency_key_in_use) and answers with its response.
    const inner = createMemoryStore();
    let lookups = 0;
    let releaseLookups!: () => void;
    const bothLookedUp = new Promise<void>((resolve) => (releaseLookups = resolve));
    let writeAttempts = 0;
    const store: ExchangeStore = Object.assign(Object.create(null) as ExchangeStore, inner, {
      async getIdempotencyRecord(keyHash: string, notBefore: string) {
        const record = await inner.getIdempotencyRecord(keyHash, notBefore);
        lookups += 1;
        if (lookups === 2) releaseLookups();
        if (lookups <= 2) await bothLookedUp;
        return record;
      },
      createExchange: (...args: Parameters<ExchangeStore['createExchange']>) => {
        writeAttempts += 1;
        return inner.createExchange(...args);
      },
    });
    harness = await startHarness({ store });
    const headers = { 'idempotency-key': 'twin' };
    const [a, b] = await Promise.all([
      harness.call('POST', '/api/v1/exchanges', { json: body, headers }),
      harness.call('POST', '/api/v1/exchanges', { json: body, headers }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.text).toBe(b.text);
    expect([a, b].filter((reply) => reply.headers.get('idempotent-replayed') === 'true')).toHaveLength(1);
    // Both tried to write; the store let one through, and the other answered with its response.
    expect(writeAttempts).toBe(2);
    expect(lookups).toBe(3);
    const read = await harness.call('GET', `/api/v1/exchanges/${a.body.exchange.id}`, { token: a.body.organizerToken });
    expect(read.status).toBe(200);
  });
});
