import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addParticipants, createExchange, startHarness, type Harness, type Organizer } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const participantsOf = (organizer: Organizer) => `/api/v1/exchanges/${organizer.exchangeId}/participants`;

describe('POST /api/v1/exchanges/:id/participants', () => {
  it('adds a participant, trimmed, and returns their token once', async () => {
    const organizer = await createExchange(harness);
    const reply = await harness.call('POST', participantsOf(organizer), {
      token: organizer.organizerToken,
      json: { name: ' Ann ', email: ' Ann@Example.com ', wishlist: ' Socks\nand a book ' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.participant).toEqual({
      id: expect.any(String),
      name: 'Ann',
      email: 'Ann@Example.com',
      wishlist: 'Socks\nand a book',
      joinedAt: expect.any(String),
    });
    expect(reply.body.participantToken).toMatch(/^[A-Za-z0-9_-]{22,}$/);
  });

  it('refuses an e-mail address already used in the exchange, whatever its case', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann']);
    const reply = await harness.call('POST', participantsOf(organizer), {
      token: organizer.organizerToken,
      json: { name: 'Other Ann', email: 'ANN@example.COM' },
    });
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('duplicate_email');
  });

  it.each([
    ['a missing e-mail', { name: 'Ann' }, '/email'],
    ['an invalid e-mail', { name: 'Ann', email: 'ann@' }, '/email'],
    ['an e-mail over 254 characters', { name: 'Ann', email: `${'a'.repeat(250)}@example.com` }, '/email'],
    ['a wishlist over 2000 characters', { name: 'Ann', email: 'ann@example.com', wishlist: 'x'.repeat(2001) }, '/wishlist'],
    ['a control character in a wishlist', { name: 'Ann', email: 'ann@example.com', wishlist: 'a\u0000b' }, '/wishlist'],
    ['an unknown field', { name: 'Ann', email: 'ann@example.com', age: 7 }, '/age'],
  ])('refuses %s with 422', async (_, json, path) => {
    const organizer = await createExchange(harness);
    const reply = await harness.call('POST', participantsOf(organizer), { token: organizer.organizerToken, json });
    expect(reply.status).toBe(422);
    expect(reply.body.errors).toContainEqual({ path, message: expect.any(String) });
  });

  it('refuses new participants after the draw', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/draw`, { token: organizer.organizerToken });
    const reply = await harness.call('POST', participantsOf(organizer), {
      token: organizer.organizerToken,
      json: { name: 'Dan', email: 'dan@example.com' },
    });
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('already_drawn');
  });
});

describe('POST /api/v1/exchanges/:id/join', () => {
  it('lets anybody with the invite code join', async () => {
    const organizer = await createExchange(harness);
    const reply = await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/join`, {
      json: { inviteCode: organizer.inviteCode, name: 'Eve', email: 'eve@example.com', wishlist: 'Tea' },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.participant).toMatchObject({ name: 'Eve', email: 'eve@example.com', wishlist: 'Tea' });
    const me = await harness.call('GET', '/api/v1/me', { token: reply.body.participantToken });
    expect(me.body.participant.id).toBe(reply.body.participant.id);
  });

  it('answers a wrong invite code like an unknown exchange', async () => {
    const organizer = await createExchange(harness);
    const other = await createExchange(harness);
    const wrongCode = await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/join`, {
      json: { inviteCode: other.inviteCode, name: 'Eve', email: 'eve@example.com' },
    });
    const unknown = await harness.call('POST', '/api/v1/exchanges/01900000-0000-7000-8000-000000000000/join', {
      json: { inviteCode: organizer.inviteCode, name: 'Eve', email: 'eve@example.com' },
    });
    const notAnId = await harness.call('POST', '/api/v1/exchanges/not-an-id/join', {
      json: { inviteCode: organizer.inviteCode, name: 'Eve', email: 'eve@example.com' },
    });
    for (const reply of [wrongCode, unknown, notAnId]) {
      expect(reply.status).toBe(404);
      expect(reply.body.code).toBe('not_found');
    }
    expect(wrongCode.body.detail).toBe(unknown.body.detail);
  });

  it('refuses a duplicate e-mail with 409', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann']);
    const reply = await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/join`, {
      json: { inviteCode: organizer.inviteCode, name: 'Ann again', email: 'ann@example.com' },
    });
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('duplicate_email');
  });
});

describe('GET /api/v1/exchanges/:id/participants', () => {
  it('pages through participants in join order with an opaque cursor', async () => {
    const organizer = await createExchange(harness);
    const names = ['Ann', 'Bob', 'Cy', 'Dan', 'Eve'];
    const members = await addParticipants(harness, organizer, names);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const reply = await harness.call('GET', participantsOf(organizer) + query, { token: organizer.organizerToken });
      expect(reply.status).toBe(200);
      expect(reply.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...reply.body.items.map((item: { id: string }) => item.id));
      cursor = reply.body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(members.map(({ id }) => id));
  });

  it('returns 100 by default and a null cursor on an exact last page', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann', 'Bob']);
    const all = await harness.call('GET', participantsOf(organizer), { token: organizer.organizerToken });
    expect(all.body.items).toHaveLength(2);
    expect(all.body.nextCursor).toBeNull();
    const exact = await harness.call('GET', `${participantsOf(organizer)}?limit=2`, { token: organizer.organizerToken });
    expect(exact.body.nextCursor).toBeNull();
  });

  it.each([
    ['limit=0', '/limit'],
    ['limit=501', '/limit'],
    ['limit=1.5', '/limit'],
    ['limit=ten', '/limit'],
    ['limit=1&limit=2', '/limit'],
    ['cursor=abc', '/cursor'],
    ['cursor=eyJ4IjoxfQ', '/cursor'],
    ['limt=5', '/limt'],
  ])('refuses ?%s with 422', async (query, path) => {
    const organizer = await createExchange(harness);
    const reply = await harness.call('GET', `${participantsOf(organizer)}?${query}`, { token: organizer.organizerToken });
    expect(reply.status).toBe(422);
    expect(reply.body.errors).toContainEqual({ path, message: expect.any(String) });
  });
});

describe('DELETE /api/v1/exchanges/:id/participants/:pid', () => {
  it('removes a participant and their exclusions', async () => {
    const organizer = await createExchange(harness);
    const [ann, bob, cy] = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    await harness.call('PUT', `/api/v1/exchanges/${organizer.exchangeId}/exclusions`, {
      token: organizer.organizerToken,
      json: { exclusions: [{ giverId: ann.id, receiverId: bob.id }, { giverId: bob.id, receiverId: cy.id }] },
    });
    const reply = await harness.call('DELETE', `${participantsOf(organizer)}/${ann.id}`, { token: organizer.organizerToken });
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');

    const exclusions = await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}/exclusions`, {
      token: organizer.organizerToken,
    });
    expect(exclusions.body.exclusions).toEqual([{ giverId: bob.id, receiverId: cy.id }]);
    const me = await harness.call('GET', '/api/v1/me', { token: ann.token });
    expect(me.status).toBe(401);
  });

  it('answers an unknown participant, or one that is not an id, with 404', async () => {
    const organizer = await createExchange(harness);
    for (const pid of ['01900000-0000-7000-8000-000000000000', 'nobody']) {
      const reply = await harness.call('DELETE', `${participantsOf(organizer)}/${pid}`, { token: organizer.organizerToken });
      expect(reply.status).toBe(404);
    }
  });

  it('refuses to remove anybody after the draw', async () => {
    const organizer = await createExchange(harness);
    const [ann] = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/draw`, { token: organizer.organizerToken });
    const reply = await harness.call('DELETE', `${participantsOf(organizer)}/${ann.id}`, { token: organizer.organizerToken });
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('already_drawn');
  });
});
