import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addParticipants, createExchange, startHarness, type Harness } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const drawPath = (exchangeId: string) => `/api/v1/exchanges/${exchangeId}/draw`;

describe('POST /api/v1/exchanges/:id/draw', () => {
  it('draws once: every participant gives once and receives once, nobody draws themselves', async () => {
    const organizer = await createExchange(harness);
    const members = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy', 'Dan']);

    const drawn = await harness.call('POST', drawPath(organizer.exchangeId), { token: organizer.organizerToken });
    expect(drawn.status).toBe(200);
    expect(drawn.body.exchange).toMatchObject({ status: 'drawn', drawnAt: expect.any(String), participantCount: 4 });

    const giftees: string[] = [];
    for (const member of members) {
      const me = await harness.call('GET', '/api/v1/me', { token: member.token });
      expect(me.body.giftee).not.toBeNull();
      expect(me.body.giftee.name).not.toBe(member.name);
      giftees.push(me.body.giftee.name);
    }
    expect(giftees.sort()).toEqual(members.map(({ name }) => name).sort());
  });

  it('answers a second draw with 409', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    expect((await harness.call('POST', drawPath(organizer.exchangeId), { token: organizer.organizerToken })).status).toBe(200);
    const again = await harness.call('POST', drawPath(organizer.exchangeId), { token: organizer.organizerToken });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_drawn');
  });

  it('draws once under two concurrent requests: one 200, one 409', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    const replies = await Promise.all([
      harness.call('POST', drawPath(organizer.exchangeId), { token: organizer.organizerToken }),
      harness.call('POST', drawPath(organizer.exchangeId), { token: organizer.organizerToken }),
    ]);
    expect(replies.map(({ status }) => status).sort()).toEqual([200, 409]);
  });

  it('accepts {} as the body, and refuses anything else in it', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    const extra = await harness.call('POST', drawPath(organizer.exchangeId), { token: organizer.organizerToken, json: { seed: 1 } });
    expect(extra.status).toBe(422);
    const text = await harness.call('POST', drawPath(organizer.exchangeId), {
      token: organizer.organizerToken,
      body: 'please',
      contentType: 'text/plain',
    });
    expect(text.status).toBe(415);
    const empty = await harness.call('POST', drawPath(organizer.exchangeId), { token: organizer.organizerToken, json: {} });
    expect(empty.status).toBe(200);
  });

  it('needs at least 3 participants', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann', 'Bob']);
    const reply = await harness.call('POST', drawPath(organizer.exchangeId), { token: organizer.organizerToken });
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe('too_few_participants');
  });

  it('explains an impossible draw with 422 infeasible_draw and changes nothing', async () => {
    const organizer = await createExchange(harness);
    const [ann, bob, cy] = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    // Ann may give to nobody.
    await harness.call('PUT', `/api/v1/exchanges/${organizer.exchangeId}/exclusions`, {
      token: organizer.organizerToken,
      json: { exclusions: [{ giverId: ann.id, receiverId: bob.id }, { giverId: ann.id, receiverId: cy.id }] },
    });
    const reply = await harness.call('POST', drawPath(organizer.exchangeId), { token: organizer.organizerToken });
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe('infeasible_draw');
    expect(reply.body.detail).toContain('Ann');
    const exchange = await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken });
    expect(exchange.body.exchange.status).toBe('open');
  });
});

describe('nobody but the giver sees an assignment', () => {
  it('no organizer response after the draw reveals who drew whom', async () => {
    const organizer = await createExchange(harness);
    const members = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy', 'Dan', 'Eve']);
    const base = `/api/v1/exchanges/${organizer.exchangeId}`;
    const exclusions = [{ giverId: members[0].id, receiverId: members[1].id }];
    await harness.call('PUT', `${base}/exclusions`, { token: organizer.organizerToken, json: { exclusions } });
    const draw = await harness.call('POST', `${base}/draw`, { token: organizer.organizerToken, json: {} });

    const organizerReplies = [
      draw,
      await harness.call('GET', base, { token: organizer.organizerToken }),
      await harness.call('GET', `${base}/participants`, { token: organizer.organizerToken }),
      await harness.call('GET', `${base}/participants?limit=1`, { token: organizer.organizerToken }),
      await harness.call('GET', `${base}/participants.csv`, { token: organizer.organizerToken }),
      await harness.call('GET', `${base}/exclusions`, { token: organizer.organizerToken }),
      await harness.call('POST', `${base}/draw`, { token: organizer.organizerToken }),
    ];
    for (const reply of organizerReplies) {
      expect(reply.text).not.toMatch(/giftee|assignment|receiver(?!Id)/i);
      for (const member of members) expect(reply.text).not.toContain(member.token);
    }
    // The only pairs an organizer ever sees are the exclusions they set.
    expect(organizerReplies[5].body.exclusions).toEqual(exclusions);

    // Each giver sees their own giftee, by name and wishlist only.
    for (const member of members) {
      const me = await harness.call('GET', '/api/v1/me', { token: member.token });
      expect(Object.keys(me.body.giftee).sort()).toEqual(['name', 'wishlist']);
    }
  });
});
