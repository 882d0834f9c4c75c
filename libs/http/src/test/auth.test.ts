import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addParticipants, createExchange, startHarness, type Harness, type Member, type Organizer } from './harness';

let harness: Harness;
let mine: Organizer;
let theirs: Organizer;
let member: Member;
let participantId: string;

beforeAll(async () => {
  harness = await startHarness();
  mine = await createExchange(harness, { name: 'Mine' });
  theirs = await createExchange(harness, { name: 'Theirs' });
  [member] = await addParticipants(harness, mine, ['Ann']);
  participantId = member.id;
});
afterAll(() => harness.close());

/** Every organizer route, as method, path and a body it would accept. */
function organizerRoutes(exchangeId: string): [string, string, { json?: unknown; body?: string; contentType?: string }][] {
  const base = `/api/v1/exchanges/${exchangeId}`;
  return [
    ['GET', base, {}],
    ['GET', `${base}/participants`, {}],
    ['POST', `${base}/participants`, { json: { name: 'Zed', email: 'zed@example.com' } }],
    ['DELETE', `${base}/participants/${participantId}`, {}],
    ['GET', `${base}/exclusions`, {}],
    ['PUT', `${base}/exclusions`, { json: { exclusions: [] } }],
    ['POST', `${base}/draw`, {}],
    ['GET', `${base}/participants.csv`, {}],
    ['POST', `${base}/participants.csv`, { body: 'name,email,wishlist\nZed,zed@example.com,\n', contentType: 'text/csv' }],
  ];
}

describe('organizer routes', () => {
  it('answer 401 without a token, with a malformed header and with an unknown token', async () => {
    for (const [method, path, request] of organizerRoutes(mine.exchangeId)) {
      const attempts: Record<string, string>[] = [
        {},
        { authorization: 'Basic dXNlcjpwYXNz' },
        { authorization: 'Bearer so_not-a-real-token-at-all' },
      ];
      for (const headers of attempts) {
        const reply = await harness.call(method, path, { ...request, headers });
        expect(reply.status, `${method} ${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }
    }
  });

  it("answer 401 to a participant's token", async () => {
    for (const [method, path, request] of organizerRoutes(mine.exchangeId)) {
      const reply = await harness.call(method, path, { ...request, token: member.token });
      expect(reply.status, `${method} ${path}`).toBe(401);
    }
  });

  it("answer 404 to another exchange's organizer token, like an exchange that does not exist", async () => {
    for (const [method, path, request] of organizerRoutes(mine.exchangeId)) {
      const reply = await harness.call(method, path, { ...request, token: theirs.organizerToken });
      expect(reply.status, `${method} ${path}`).toBe(404);
      expect(reply.body.code).toBe('not_found');
    }
    for (const [method, path, request] of organizerRoutes('not-a-uuid')) {
      const reply = await harness.call(method, path, { ...request, token: theirs.organizerToken });
      expect(reply.status, `${method} ${path}`).toBe(404);
    }
  });

  it('change nothing when refused', async () => {
    const reply = await harness.call('GET', `/api/v1/exchanges/${mine.exchangeId}`, { token: mine.organizerToken });
    expect(reply.body.exchange).toMatchObject({ participantCount: 1, status: 'open' });
  });

  it('accept the scheme in any case', async () => {
    const reply = await harness.call('GET', `/api/v1/exchanges/${mine.exchangeId}`, {
      headers: { authorization: `bearer ${mine.organizerToken}` },
    });
    expect(reply.status).toBe(200);
  });
});

describe('participant routes', () => {
  it("answer 401 to an organizer's token", async () => {
    expect((await harness.call('GET', '/api/v1/me', { token: mine.organizerToken })).status).toBe(401);
    const put = await harness.call('PUT', '/api/v1/me/wishlist', { token: mine.organizerToken, json: { wishlist: 'x' } });
    expect(put.status).toBe(401);
  });
});
