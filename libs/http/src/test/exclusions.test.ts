import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addParticipants, createExchange, startHarness, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

describe('exclusions', () => {
  it('replaces the whole set and reads it back', async () => {
    const organizer = await createExchange(harness);
    const [ann, bob, cy] = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    const path = `/api/v1/exchanges/${organizer.exchangeId}/exclusions`;

    const empty = await harness.call('GET', path, { token: organizer.organizerToken });
    expect(empty.body).toEqual({ exclusions: [] });

    const first = [
      { giverId: ann.id, receiverId: bob.id },
      { giverId: bob.id, receiverId: ann.id },
    ];
    const put = await harness.call('PUT', path, { token: organizer.organizerToken, json: { exclusions: first } });
    expect(put.status).toBe(200);
    expect(put.body.exclusions).toEqual(first);

    const second = [{ giverId: cy.id, receiverId: ann.id }];
    await harness.call('PUT', path, { token: organizer.organizerToken, json: { exclusions: second } });
    const read = await harness.call('GET', path, { token: organizer.organizerToken });
    expect(read.body.exclusions).toEqual(second);

    const exchange = await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken });
    expect(exchange.body.exchange.exclusionCount).toBe(1);
  });

  it('refuses a participant excluded from themselves, a repeated pair and an unknown id', async () => {
    const organizer = await createExchange(harness);
    const [ann, bob] = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    const path = `/api/v1/exchanges/${organizer.exchangeId}/exclusions`;

    const self = await harness.call('PUT', path, {
      token: organizer.organizerToken,
      json: { exclusions: [{ giverId: ann.id, receiverId: ann.id }] },
    });
    expect(self.status).toBe(422);
    expect(self.body.errors).toContainEqual({ path: '/exclusions/0/receiverId', message: expect.any(String) });

    const repeated = await harness.call('PUT', path, {
      token: organizer.organizerToken,
      json: {
        exclusions: [
          { giverId: ann.id, receiverId: bob.id },
          { giverId: ann.id, receiverId: bob.id },
        ],
      },
    });
    expect(repeated.status).toBe(422);
    expect(repeated.body.errors).toContainEqual({ path: '/exclusions/1', message: expect.any(String) });

    const otherExchange = await createExchange(harness);
    const [stranger] = await addParticipants(harness, otherExchange, ['Zed']);
    const unknown = await harness.call('PUT', path, {
      token: organizer.organizerToken,
      json: { exclusions: [{ giverId: ann.id, receiverId: stranger.id }] },
    });
    expect(unknown.status).toBe(422);

    const notAnId = await harness.call('PUT', path, {
      token: organizer.organizerToken,
      json: { exclusions: [{ giverId: ann.id, receiverId: 'bob' }] },
    });
    expect(notAnId.status).toBe(422);
    expect(notAnId.body.errors).toContainEqual({ path: '/exclusions/0/receiverId', message: expect.any(String) });

    const read = await harness.call('GET', path, { token: organizer.organizerToken });
    expect(read.body.exclusions).toEqual([]);
  });

  it('refuses changes after the draw', async () => {
    const organizer = await createExchange(harness);
    const [ann, bob] = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/draw`, { token: organizer.organizerToken });
    const reply = await harness.call('PUT', `/api/v1/exchanges/${organizer.exchangeId}/exclusions`, {
      token: organizer.organizerToken,
      json: { exclusions: [{ giverId: ann.id, receiverId: bob.id }] },
    });
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('already_drawn');
  });
});
