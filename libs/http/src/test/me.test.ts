import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addParticipants, createExchange, startHarness, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

describe('GET /api/v1/me', () => {
  it('shows the participant, their exchange, and no giftee before the draw', async () => {
    const organizer = await createExchange(harness, { name: 'Office', budget: { amount: 20, currency: 'USD' } });
    const [ann] = await addParticipants(harness, organizer, ['Ann']);
    const me = await harness.call('GET', '/api/v1/me', { token: ann.token });
    expect(me.status).toBe(200);
    expect(me.body.participant).toMatchObject({ id: ann.id, name: 'Ann', email: 'ann@example.com' });
    expect(me.body.exchange).toMatchObject({ id: organizer.exchangeId, name: 'Office', status: 'open' });
    expect(me.body.giftee).toBeNull();
  });

  it('shows the giftee by name and wishlist after the draw', async () => {
    const organizer = await createExchange(harness);
    const members = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    for (const member of members) {
      await harness.call('PUT', '/api/v1/me/wishlist', { token: member.token, json: { wishlist: `${member.name} wants tea` } });
    }
    await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/draw`, { token: organizer.organizerToken });
    const me = await harness.call('GET', '/api/v1/me', { token: members[0].token });
    expect(me.body.giftee).toEqual({ name: expect.any(String), wishlist: `${me.body.giftee.name} wants tea` });
    expect(me.body.giftee.name).not.toBe('Ann');
  });

  it.each([
    ['no token', undefined],
    ['an unknown token', 'sp_unknown-token-that-nobody-was-ever-given'],
  ])('answers %s with 401 and a Bearer challenge', async (_, token) => {
    const reply = await harness.call('GET', '/api/v1/me', token === undefined ? {} : { token });
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer realm="santa-ladder"/);
    expect(reply.body.code).toBe('unauthorized');
  });
});

describe('PUT /api/v1/me/wishlist', () => {
  it('replaces the wishlist, before and after the draw, and keeps the counts exact', async () => {
    const organizer = await createExchange(harness);
    const members = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    const before = await harness.call('PUT', '/api/v1/me/wishlist', { token: members[0].token, json: { wishlist: '  A scarf\n\tgreen  ' } });
    expect(before.status).toBe(200);
    expect(before.body.participant.wishlist).toBe('A scarf\n\tgreen');

    await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/draw`, { token: organizer.organizerToken });
    const after = await harness.call('PUT', '/api/v1/me/wishlist', { token: members[1].token, json: { wishlist: 'Books' } });
    expect(after.status).toBe(200);
    const cleared = await harness.call('PUT', '/api/v1/me/wishlist', { token: members[0].token, json: { wishlist: '' } });
    expect(cleared.body.participant.wishlist).toBe('');

    const exchange = await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken });
    expect(exchange.body.exchange.wishlistCount).toBe(1);
  });

  it('refuses an invalid wishlist with 422 and a missing or unknown token with 401', async () => {
    const organizer = await createExchange(harness);
    const [ann] = await addParticipants(harness, organizer, ['Ann']);
    const tooLong = await harness.call('PUT', '/api/v1/me/wishlist', { token: ann.token, json: { wishlist: 'x'.repeat(2001) } });
    expect(tooLong.status).toBe(422);
    const missing = await harness.call('PUT', '/api/v1/me/wishlist', { token: ann.token, json: {} });
    expect(missing.body.errors).toEqual([{ path: '/wishlist', message: 'The wishlist is required.' }]);
    const noToken = await harness.call('PUT', '/api/v1/me/wishlist', { json: { wishlist: 'Tea' } });
    expect(noToken.status).toBe(401);
    const unknown = await harness.call('PUT', '/api/v1/me/wishlist', { token: 'sp_nobody', json: { wishlist: 'Tea' } });
    expect(unknown.status).toBe(401);
  });
});
