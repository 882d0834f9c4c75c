/**
 * CONTRACT.md, endpoint by endpoint, against every stage started as users start it.
 * Every response is also checked against the OpenAPI document by the client.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Exchange, Exclusion, Participant } from '@santa/domain';
import {
  csvRows,
  exchangePath,
  expectProblem,
  expectStatus,
  makeDataDir,
  parseCsv,
  participantsCsv,
  person,
  removeDataDir,
  startStage,
  type CallOptions,
  type Member,
  type NewParticipant,
  type Organizer,
  type ParticipantPage,
  type Reply,
  type StageClient,
  type StageProcess,
} from './harness';
import { STAGES } from './stages';

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const URL_SAFE = /^[A-Za-z0-9_-]+$/;

for (const stage of STAGES) contractSuite(stage);

function contractSuite(stageName: string): void {
  describe(`${stageName}: the HTTP contract`, () => {
    let stage: StageProcess | undefined;
    let dataDir = '';
    let api: StageClient;

    beforeAll(async () => {
      dataDir = await makeDataDir(stageName);
      stage = await startStage(stageName, dataDir);
      api = stage.client;
    });

    afterAll(async () => {
      try {
        await stage?.stop();
      } finally {
        await removeDataDir(dataDir);
      }
    });

    /** An exchange with `count` participants added by the organizer, in order. */
    async function exchangeWith(count: number, tag = 'Guest', body = { name: `${tag}s` }): Promise<{ organizer: Organizer; members: Member[] }> {
      const organizer = await api.createExchange(body);
      const members: Member[] = [];
      for (let i = 0; i < count; i++) members.push(await api.addParticipant(organizer, person(tag, i)));
      return { organizer, members };
    }

    async function expectCounts(organizer: Organizer, counts: Pick<Exchange, 'participantCount' | 'wishlistCount' | 'exclusionCount'>) {
      expect(await api.dashboard(organizer)).toMatchObject(counts);
    }

    describe('POST /api/v1/exchanges', () => {
      it('creates an exchange from a name alone: defaults, trimmed name, secrets shown once', async () => {
        const organizer = await api.createExchange({ name: '  Office party  ' });
        expect(organizer.exchange).toEqual({
          id: organizer.id,
          name: 'Office party',
          budget: null,
          exchangeDate: null,
          rules: { singleCycle: false },
          status: 'open',
          participantCount: 0,
          wishlistCount: 0,
          exclusionCount: 0,
          createdAt: expect.stringMatching(ISO_TIMESTAMP),
          drawnAt: null,
        });
        // 128 bits of base64url is 22 characters; 64 bits is 11.
        expect(organizer.organizerToken).toMatch(URL_SAFE);
        expect(organizer.organizerToken.length).toBeGreaterThanOrEqual(22);
        expect(organizer.inviteCode).toMatch(URL_SAFE);
        expect(organizer.inviteCode.length).toBeGreaterThanOrEqual(11);
        expect(await api.dashboard(organizer)).toEqual(organizer.exchange);
      });

      it('keeps budget, date and rules exactly', async () => {
        const body = { name: 'Family 2026', budget: { amount: 25.5, currency: 'EUR' }, exchangeDate: '2026-12-24', rules: { singleCycle: true } };
        const organizer = await api.createExchange(body);
        expect(organizer.exchange).toMatchObject(body);
        expect(await api.dashboard(organizer)).toEqual(organizer.exchange);
        const nulls = await api.createExchange({ name: 'No budget', budget: null, exchangeDate: null, rules: {} });
        expect(nulls.exchange).toMatchObject({ budget: null, exchangeDate: null, rules: { singleCycle: false } });
      });

      it('gives every exchange its own id, organizer token and invite code', async () => {
        const [a, b] = [await api.createExchange(), await api.createExchange()];
        expect(a.id).not.toBe(b.id);
        expect(a.organizerToken).not.toBe(b.organizerToken);
        expect(a.inviteCode).not.toBe(b.inviteCode);
      });

      it('accepts every value at the edges of the limits', async () => {
        const accepted = [
          { name: 'x'.repeat(100) },
          { name: '🎁'.repeat(100) },
          { name: 'Zero budget', budget: { amount: 0, currency: 'EUR' } },
          { name: 'Top budget', budget: { amount: 1_000_000, currency: 'USD' } },
          { name: 'Cents', budget: { amount: 999_999.99, currency: 'JPY' } },
          { name: 'Leap day', exchangeDate: '2024-02-29' },
        ];
        for (const body of accepted) {
          const organizer = await api.createExchange(body);
          expect(organizer.exchange, JSON.stringify(body)).toMatchObject(body);
        }
      });

      it('rejects every value past the limits with 422 naming the field', async () => {
        const rejected: [unknown, string][] = [
          [{ name: 'x'.repeat(101) }, '/name'],
          [{ name: '🎁'.repeat(101) }, '/name'],
          [{ name: '' }, '/name'],
          [{ name: '   ' }, '/name'],
          [{}, '/name'],
          [{ name: 5 }, '/name'],
          [{ name: 'Budget', budget: { amount: 1_000_000.01, currency: 'EUR' } }, '/budget/amount'],
          [{ name: 'Budget', budget: { amount: 2_000_000, currency: 'EUR' } }, '/budget/amount'],
          [{ name: 'Budget', budget: { amount: -1, currency: 'EUR' } }, '/budget/amount'],
          [{ name: 'Budget', budget: { amount: 1.005, currency: 'EUR' } }, '/budget/amount'],
          [{ name: 'Budget', budget: { amount: '10', currency: 'EUR' } }, '/budget/amount'],
          [{ name: 'Budget', budget: { amount: 10, currency: 'EURO' } }, '/budget/currency'],
          [{ name: 'Budget', budget: { amount: 10, currency: 'ZZZ' } }, '/budget/currency'],
          [{ name: 'Budget', budget: { amount: 10, currency: 'eur' } }, '/budget/currency'],
          [{ name: 'Budget', budget: { amount: 10 } }, '/budget/currency'],
          [{ name: 'Date', exchangeDate: '2026-02-30' }, '/exchangeDate'],
          [{ name: 'Date', exchangeDate: '2025-02-29' }, '/exchangeDate'],
          [{ name: 'Date', exchangeDate: '2026-13-01' }, '/exchangeDate'],
          [{ name: 'Date', exchangeDate: '2026-12-00' }, '/exchangeDate'],
          [{ name: 'Date', exchangeDate: '2026-1-05' }, '/exchangeDate'],
          [{ name: 'Date', exchangeDate: '24/12/2026' }, '/exchangeDate'],
          [{ name: 'Date', exchangeDate: '2026-12-24T18:00:00Z' }, '/exchangeDate'],
          [{ name: 'Rules', rules: { singleCycle: 'yes' } }, '/rules/singleCycle'],
        ];
        for (const [body, path] of rejected) {
          const problem = expectProblem(await api.call('POST', '/api/v1/exchanges', { json: body }), 422, 'validation_failed');
          expect(problem.errors?.map((error) => error.path), JSON.stringify(body)).toContain(path);
        }
      });
    });

    describe('GET /api/v1/exchanges/:id', () => {
      it('counts participants, wishlists and exclusions exactly after every kind of change', async () => {
        const organizer = await api.createExchange({ name: 'Counted' });
        await expectCounts(organizer, { participantCount: 0, wishlistCount: 0, exclusionCount: 0 });

        const ann = await api.addParticipant(organizer, { name: 'Ann', email: 'ann@example.com', wishlist: 'Books' });
        const bob = await api.addParticipant(organizer, { name: 'Bob', email: 'bob@example.com' });
        const cy = await api.join(organizer, { name: 'Cy', email: 'cy@example.com', wishlist: 'Tea' });
        const dee = await api.join(organizer, { name: 'Dee', email: 'dee@example.com', wishlist: '   ' });
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 2, exclusionCount: 0 });

        await api.updateWishlist(bob.participantToken, 'Socks');
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 3, exclusionCount: 0 });
        await api.updateWishlist(ann.participantToken, '');
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 2, exclusionCount: 0 });
        await api.updateWishlist(dee.participantToken, 'Plants');
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 3, exclusionCount: 0 });

        const pair = (giver: Member, receiver: Member): Exclusion => ({ giverId: giver.participant.id, receiverId: receiver.participant.id });
        await api.replaceExclusions(organizer, [pair(ann, bob), pair(bob, ann), pair(cy, dee)]);
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 3, exclusionCount: 3 });

        // Bob is in two exclusions and has a wishlist: removing him changes all three counts.
        await api.removeParticipant(organizer, bob.participant.id);
        await expectCounts(organizer, { participantCount: 3, wishlistCount: 2, exclusionCount: 1 });
        await api.replaceExclusions(organizer, []);
        await expectCounts(organizer, { participantCount: 3, wishlistCount: 2, exclusionCount: 0 });
        await api.importCsv(organizer, participantsCsv([['Eve', 'eve@example.com', 'Jam'], ['Fay', 'fay@example.com', '']]));
        await expectCounts(organizer, { participantCount: 5, wishlistCount: 3, exclusionCount: 0 });
      });
    });

    describe('GET /api/v1/exchanges/:id/participants', () => {
      let organizer: Organizer;
      /** Ids in the order the participants joined. */
      let joinOrder: string[];

      beforeAll(async () => {
        organizer = await api.createExchange({ name: 'Paged' });
        const imported = await api.importCsv(organizer, participantsCsv(csvRows(Array.from({ length: 150 }, (_, i) => person('Imported', i)))));
        const added: Member[] = [];
        for (let i = 0; i < 50; i++) added.push(await api.addParticipant(organizer, person('Added', i)));
        for (let i = 0; i < 50; i++) added.push(await api.join(organizer, person('Joined', i)));
        joinOrder = [...imported, ...added].map(({ participant }) => participant.id);
      });

      it('pages 100 at a time by default, with nextCursor null on the last page', async () => {
        const first = await api.page(organizer);
        expect(first.items).toHaveLength(100);
        expect(first.nextCursor).toEqual(expect.any(String));
        const second = await api.page(organizer, `?cursor=${encodeURIComponent(first.nextCursor as string)}`);
        expect(second.items).toHaveLength(100);
        const third = await api.page(organizer, `?cursor=${encodeURIComponent(second.nextCursor as string)}`);
        expect(third.items).toHaveLength(50);
        expect(third.nextCursor).toBeNull();
        expect([...first.items, ...second.items, ...third.items].map(({ id }) => id)).toEqual(joinOrder);
      });

      it('continues from any cursor with any limit', async () => {
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let i = 0; i < 25; i++) {
          const page: ParticipantPage = await api.page(organizer, `?limit=1${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
          expect(page.items).toHaveLength(1);
          seen.push(...page.items.map(({ id }) => id));
          cursor = page.nextCursor;
        }
        const rest = await api.page(organizer, `?limit=500&cursor=${encodeURIComponent(cursor as string)}`);
        expect([...seen, ...rest.items.map(({ id }) => id)]).toEqual(joinOrder);
        expect(rest.nextCursor).toBeNull();
      });

      it.each([7, 100, 125, 250, 500])('walks every page at limit %i in join order, with no duplicate or gap', async (limit) => {
        const all = await api.allParticipants(organizer, limit);
        expect(all.map(({ id }) => id)).toEqual(joinOrder);
        const joinedAt = all.map((participant) => participant.joinedAt);
        expect(joinedAt).toEqual([...joinedAt].sort());
      });

      it('returns the last page with nextCursor null when it is exactly full', async () => {
        const page = await api.page(organizer, '?limit=250');
        expect(page.items).toHaveLength(250);
        expect(page.nextCursor).toBeNull();
      });

      it('rejects a limit outside 1-500 or a cursor it did not issue with 422', async () => {
        const token = organizer.organizerToken;
        for (const query of ['limit=0', 'limit=501', 'limit=-1', 'limit=1.5', 'limit=abc', 'limit=', 'cursor=garbage!', 'cursor=eyJmb28iOjF9', 'cursor=']) {
          const reply = await api.call('GET', exchangePath(organizer.id, `/participants?${query}`), { token });
          expect(expectProblem(reply, 422, 'validation_failed').errors, query).toBeDefined();
        }
      });

      it('lists nobody in a new exchange', async () => {
        const empty = await api.createExchange();
        expect(await api.page(empty)).toEqual({ items: [], nextCursor: null });
      });
    });

    describe('POST /api/v1/exchanges/:id/participants', () => {
      it('adds a participant with a private token, trimmed, stored as given otherwise', async () => {
        const organizer = await api.createExchange();
        const { participant, participantToken } = await api.addParticipant(organizer, {
          name: '  Ann Lee ',
          email: ' Ann.Lee@Example.com ',
          wishlist: ' Books,\n"quotes" & ünïcödé ',
        });
        expect(participant).toEqual({
          id: expect.any(String),
          name: 'Ann Lee',
          email: 'Ann.Lee@Example.com',
          wishlist: 'Books,\n"quotes" & ünïcödé',
          joinedAt: expect.stringMatching(ISO_TIMESTAMP),
        });
        expect(participantToken).toMatch(URL_SAFE);
        expect(participantToken.length).toBeGreaterThanOrEqual(22);
        const me = await api.me(participantToken);
        expect(me.participant).toEqual(participant);
        expect(me.exchange.participantCount).toBe(1);
        expect((await api.page(organizer)).items).toEqual([participant]);
        const plain = await api.addParticipant(organizer, { name: 'Bob', email: 'bob@example.com' });
        expect(plain.participant.wishlist).toBe('');
      });

      it('refuses an e-mail address already in the exchange, whatever its case, with 409', async () => {
        const organizer = await api.createExchange();
        await api.addParticipant(organizer, { name: 'Ann', email: 'ann@example.com' });
        const before = await api.snapshot(organizer);
        const token = organizer.organizerToken;
        for (const email of ['ann@example.com', 'ANN@Example.COM', ' Ann@example.com ']) {
          const reply = await api.call('POST', exchangePath(organizer.id, '/participants'), { token, json: { name: 'Ann again', email } });
          expectProblem(reply, 409, 'duplicate_email');
          const joined = await api.call('POST', exchangePath(organizer.id, '/join'), { json: { inviteCode: organizer.inviteCode, name: 'Ann again', email } });
          expectProblem(joined, 409, 'duplicate_email');
        }
        expect(await api.snapshot(organizer)).toEqual(before);
        // The same address in another exchange is somebody else's business.
        await api.addParticipant(await api.createExchange(), { name: 'Ann', email: 'ann@example.com' });
      });

      it('checks names, addresses and wishlists at their limits', async () => {
        const organizer = await api.createExchange();
        const token = organizer.organizerToken;
        const longLocal = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
        expect(longLocal).toHaveLength(254);
        const accepted: NewParticipant[] = [
          { name: 'n'.repeat(100), email: 'edge1@example.com' },
          { name: 'Wishful', email: 'edge2@example.com', wishlist: 'w'.repeat(2000) },
          { name: 'Long address', email: longLocal },
        ];
        for (const body of accepted) {
          const { participant } = await api.addParticipant(organizer, body);
          expect(participant, JSON.stringify(body).slice(0, 100)).toMatchObject(body);
        }
        const rejected: [unknown, string][] = [
          [{ name: 'n'.repeat(101), email: 'r1@example.com' }, '/name'],
          [{ name: '', email: 'r2@example.com' }, '/name'],
          [{ email: 'r3@example.com' }, '/name'],
          [{ name: 'No address' }, '/email'],
          [{ name: 'Bad address', email: 'not-an-address' }, '/email'],
          [{ name: 'Long address', email: `x${longLocal}` }, '/email'],
          [{ name: 'Wishful', email: 'r4@example.com', wishlist: 'w'.repeat(2001) }, '/wishlist'],
          [{ name: 'Typed', email: 'r5@example.com', wishlist: 42 }, '/wishlist'],
        ];
        const before = await api.snapshot(organizer);
        for (const [body, path] of rejected) {
          const reply = await api.call('POST', exchangePath(organizer.id, '/participants'), { token, json: body });
          expect(expectProblem(reply, 422, 'validation_failed').errors?.map((error) => error.path), JSON.stringify(body).slice(0, 100)).toContain(path);
        }
        expect(await api.snapshot(organizer)).toEqual(before);
      });

      it('refuses new participants after the draw with 409, by every route', async () => {
        const { organizer } = await exchangeWith(3);
        await api.draw(organizer);
        const before = await api.snapshot(organizer);
        const token = organizer.organizerToken;
        expectProblem(await api.call('POST', exchangePath(organizer.id, '/participants'), { token, json: person('Late', 1) }), 409, 'already_drawn');
        expectProblem(
          await api.call('POST', exchangePath(organizer.id, '/join'), { json: { inviteCode: organizer.inviteCode, ...person('Late', 2) } }),
          409,
          'already_drawn',
        );
        expectProblem(
          await api.call('POST', exchangePath(organizer.id, '/participants.csv'), {
            token,
            body: participantsCsv(csvRows([person('Late', 3)])),
            contentType: 'text/csv',
          }),
          409,
          'already_drawn',
        );
        expect(await api.snapshot(organizer)).toEqual(before);
      });
    });

    describe('POST /api/v1/exchanges/:id/join', () => {
      it('lets anyone with the invite code join, and nobody without it', async () => {
        const organizer = await api.createExchange();
        const other = await api.createExchange();
        const { participant, participantToken } = await api.join(organizer, { name: 'Ann', email: 'ann@example.com', wishlist: 'Tea' });
        expect(participant).toMatchObject({ name: 'Ann', email: 'ann@example.com', wishlist: 'Tea' });
        expect((await api.me(participantToken)).exchange.id).toBe(organizer.id);

        const before = await api.snapshot(organizer);
        const attempts: [string, string][] = [
          [organizer.id, `${organizer.inviteCode}x`],
          [organizer.id, organizer.inviteCode.toUpperCase() === organizer.inviteCode ? 'wrong' : organizer.inviteCode.toUpperCase()],
          [organizer.id, other.inviteCode],
          [randomUUID(), organizer.inviteCode],
          ['not-an-id', organizer.inviteCode],
        ];
        for (const [exchangeId, inviteCode] of attempts) {
          const reply = await api.call('POST', exchangePath(exchangeId, '/join'), { json: { inviteCode, name: 'Mallory', email: 'mallory@example.com' } });
          expectProblem(reply, 404, 'not_found');
        }
        expect(await api.snapshot(organizer)).toEqual(before);
      });
    });

    describe('DELETE /api/v1/exchanges/:id/participants/:pid', () => {
      it('removes a participant, their exclusions and their token', async () => {
        const { organizer, members } = await exchangeWith(4);
        const [a, b, c, d] = members.map(({ participant }) => participant.id) as [string, string, string, string];
        await api.replaceExclusions(organizer, [
          { giverId: a, receiverId: b },
          { giverId: c, receiverId: a },
          { giverId: c, receiverId: d },
        ]);
        const reply = await api.call('DELETE', exchangePath(organizer.id, `/participants/${a}`), { token: organizer.organizerToken });
        expectStatus(reply, 204);
        expect(reply.text).toBe('');
        expect(await api.exclusions(organizer)).toEqual([{ giverId: c, receiverId: d }]);
        expect((await api.allParticipants(organizer)).map(({ id }) => id)).toEqual([b, c, d]);
        await expectCounts(organizer, { participantCount: 3, wishlistCount: 0, exclusionCount: 1 });
        expectProblem(await api.call('GET', '/api/v1/me', { token: members[0]?.participantToken }), 401, 'unauthorized');
        // Their address is free again.
        const back = await api.addParticipant(organizer, person('Guest', 0));
        expect(back.participant.id).not.toBe(a);
      });

      it('answers 404 for a participant it does not have and 409 after the draw', async () => {
        const { organizer, members } = await exchangeWith(3);
        const { members: strangers } = await exchangeWith(1, 'Stranger');
        const token = organizer.organizerToken;
        const before = await api.snapshot(organizer);
        for (const pid of [randomUUID(), strangers[0]?.participant.id, 'not-an-id']) {
          expectProblem(await api.call('DELETE', exchangePath(organizer.id, `/participants/${pid}`), { token }), 404, 'not_found');
        }
        expect(await api.snapshot(organizer)).toEqual(before);

        await api.draw(organizer);
        const drawn = await api.snapshot(organizer);
        const pid = members[0]?.participant.id;
        expectProblem(await api.call('DELETE', exchangePath(organizer.id, `/participants/${pid}`), { token }), 409, 'already_drawn');
        expect(await api.snapshot(organizer)).toEqual(drawn);
      });
    });

    describe('/api/v1/exchanges/:id/exclusions', () => {
      it('replaces the whole set on PUT and returns it on GET', async () => {
        const { organizer, members } = await exchangeWith(4);
        const [a, b, c, d] = members.map(({ participant }) => participant.id) as [string, string, string, string];
        expect(await api.exclusions(organizer)).toEqual([]);
        const first = [
          { giverId: a, receiverId: b },
          { giverId: b, receiverId: a },
        ];
        expect(sortExclusions(await api.replaceExclusions(organizer, first))).toEqual(sortExclusions(first));
        const second = [
          { giverId: c, receiverId: d },
          { giverId: a, receiverId: d },
          { giverId: d, receiverId: a },
        ];
        expect(sortExclusions(await api.replaceExclusions(organizer, second))).toEqual(sortExclusions(second));
        expect(sortExclusions(await api.exclusions(organizer))).toEqual(sortExclusions(second));
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 0, exclusionCount: 3 });
        expect(await api.replaceExclusions(organizer, [])).toEqual([]);
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 0, exclusionCount: 0 });
      });

      it('rejects unknown ids, self-exclusions and repeats with 422, and changes nothing', async () => {
        const { organizer, members } = await exchangeWith(3);
        const { members: strangers } = await exchangeWith(1, 'Stranger');
        const [a, b] = members.map(({ participant }) => participant.id) as [string, string];
        const stranger = strangers[0]?.participant.id as string;
        await api.replaceExclusions(organizer, [{ giverId: a, receiverId: b }]);
        const before = await api.snapshot(organizer);
        const invalid: Exclusion[][] = [
          [{ giverId: a, receiverId: randomUUID() }],
          [{ giverId: randomUUID(), receiverId: b }],
          [{ giverId: a, receiverId: stranger }],
          [{ giverId: b, receiverId: b }],
          [
            { giverId: b, receiverId: a },
            { giverId: b, receiverId: a },
          ],
        ];
        for (const exclusions of invalid) {
          const reply = await api.call('PUT', exchangePath(organizer.id, '/exclusions'), { token: organizer.organizerToken, json: { exclusions } });
          expectProblem(reply, 422, 'validation_failed');
        }
        expect(await api.snapshot(organizer)).toEqual(before);
      });

      it('refuses changes after the draw with 409', async () => {
        const { organizer, members } = await exchangeWith(3);
        await api.draw(organizer);
        const [a, b] = members.map(({ participant }) => participant.id) as [string, string];
        const reply = await api.call('PUT', exchangePath(organizer.id, '/exclusions'), {
          token: organizer.organizerToken,
          json: { exclusions: [{ giverId: a, receiverId: b }] },
        });
        expectProblem(reply, 409, 'already_drawn');
        expect(await api.exclusions(organizer)).toEqual([]);
      });
    });

    describe('POST /api/v1/exchanges/:id/draw and GET /api/v1/me', () => {
      it('needs at least 3 participants', async () => {
        for (const count of [0, 1, 2]) {
          const { organizer } = await exchangeWith(count);
          const reply = await api.call('POST', exchangePath(organizer.id, '/draw'), { token: organizer.organizerToken });
          expectProblem(reply, 422, 'too_few_participants');
          expect((await api.dashboard(organizer)).status).toBe('open');
        }
      });

      it('draws a valid assignment that only each giver sees, with giftee null before', async () => {
        const organizer = await api.createExchange({ name: 'Drawn' });
        const members: Member[] = [];
        for (let i = 0; i < 8; i++) members.push(await api.addParticipant(organizer, person('Giver', i, `wish ${i}`)));
        const ids = members.map(({ participant }) => participant.id);
        const exclusions = [0, 2, 4, 6].flatMap((i) => [
          { giverId: ids[i] as string, receiverId: ids[i + 1] as string },
          { giverId: ids[i + 1] as string, receiverId: ids[i] as string },
        ]);
        await api.replaceExclusions(organizer, exclusions);
        for (const member of members) expect((await api.me(member.participantToken)).giftee).toBeNull();

        const exchange = await api.draw(organizer);
        expect(exchange).toMatchObject({ id: organizer.id, status: 'drawn', participantCount: 8, exclusionCount: 8 });
        expect(exchange.drawnAt).toMatch(ISO_TIMESTAMP);
        expect(await api.dashboard(organizer)).toEqual(exchange);

        const assignment = await readAssignment(api, members);
        expectValidAssignment(assignment, ids, exclusions);
        for (const member of members) {
          const me = await api.me(member.participantToken);
          expect(me.participant).toEqual(member.participant);
          expect(me.exchange).toEqual(exchange);
          const receiver = members.find(({ participant }) => participant.id === assignment.get(member.participant.id));
          expect(me.giftee).toEqual({ name: receiver?.participant.name, wishlist: receiver?.participant.wishlist });
        }
      });

      it('with rules.singleCycle, draws one cycle through everybody', async () => {
        const organizer = await api.createExchange({ name: 'Circle', rules: { singleCycle: true } });
        const members: Member[] = [];
        for (let i = 0; i < 7; i++) members.push(await api.addParticipant(organizer, person('Circle', i)));
        const ids = members.map(({ participant }) => participant.id);
        const exclusions = [{ giverId: ids[0] as string, receiverId: ids[1] as string }];
        await api.replaceExclusions(organizer, exclusions);
        await api.draw(organizer);
        const assignment = await readAssignment(api, members);
        expectValidAssignment(assignment, ids, exclusions);
        expect(cycleLengths(assignment)).toEqual([7]);
      });

      it('answers 422 infeasible_draw naming a blocking group, and stays open', async () => {
        // Nobody can give to Dee.
        const blocked = await api.createExchange({ name: 'Nobody gives to Dee' });
        const [ann, bob, cy, dee] = await addNamed(blocked, ['Ann', 'Bob', 'Cy', 'Dee']);
        await api.replaceExclusions(blocked, [ann, bob, cy].map((giver) => ({ giverId: giver, receiverId: dee })));
        const noGiver = expectProblem(await api.call('POST', exchangePath(blocked.id, '/draw'), { token: blocked.organizerToken }), 422, 'infeasible_draw');
        expect(noGiver.detail).toContain('Dee');
        expect((await api.dashboard(blocked)).status).toBe('open');

        // Ann and Bob can only give to Cy.
        const crowded = await api.createExchange({ name: 'Ann and Bob only give to Cy' });
        const [ann2, bob2, , dee2, eve2] = await addNamed(crowded, ['Ann', 'Bob', 'Cy', 'Dee', 'Eve']);
        await api.replaceExclusions(
          crowded,
          [ann2, bob2].flatMap((giver) =>
            [ann2, bob2, dee2, eve2].filter((receiver) => receiver !== giver).map((receiver) => ({ giverId: giver, receiverId: receiver })),
          ),
        );
        const twoForOne = expectProblem(await api.call('POST', exchangePath(crowded.id, '/draw'), { token: crowded.organizerToken }), 422, 'infeasible_draw');
        expect(twoForOne.detail).toContain('Ann');
        expect(twoForOne.detail).toContain('Bob');

        // Lifting the exclusions makes it drawable.
        await api.replaceExclusions(blocked, []);
        expect((await api.draw(blocked)).status).toBe('drawn');
      });

      it('answers 409 to a second draw, and to the loser of two concurrent draws', async () => {
        const { organizer: once } = await exchangeWith(3);
        await api.draw(once);
        const drawn = await api.snapshot(once);
        expectProblem(await api.call('POST', exchangePath(once.id, '/draw'), { token: once.organizerToken }), 409, 'already_drawn');
        expect(await api.snapshot(once)).toEqual(drawn);

        const { organizer: raced, members } = await exchangeWith(6);
        const draw = () => api.call('POST', exchangePath(raced.id, '/draw'), { token: raced.organizerToken });
        const replies = await Promise.all([draw(), draw()]);
        expect(replies.map(({ status }) => status).sort()).toEqual([200, 409]);
        expectProblem(replies.find(({ status }) => status === 409) as Reply, 409, 'already_drawn');
        const winner = replies.find(({ status }) => status === 200) as Reply<{ exchange: Exchange }>;
        expect(await api.dashboard(raced)).toEqual(winner.body.exchange);
        expectValidAssignment(await readAssignment(api, members), ids(members), []);
      });

      it('takes no body or {}, and nothing else', async () => {
        const { organizer } = await exchangeWith(3);
        const token = organizer.organizerToken;
        expectProblem(await api.call('POST', exchangePath(organizer.id, '/draw'), { token, json: { seed: 1 } }), 422, 'validation_failed');
        expectProblem(await api.call('POST', exchangePath(organizer.id, '/draw'), { token, json: [] }), 422, 'validation_failed');
        expect((await api.dashboard(organizer)).status).toBe('open');
        expectStatus(await api.call('POST', exchangePath(organizer.id, '/draw'), { token, json: {} }), 200);
      });

      it('updates wishlists before and after the draw, and the giver sees the new one', async () => {
        const { organizer, members } = await exchangeWith(4);
        const [first] = members as [Member];
        expect(await api.updateWishlist(first.participantToken, '  A kite  ')).toEqual({ ...first.participant, wishlist: 'A kite' });
        await api.draw(organizer);
        const assignment = await readAssignment(api, members);
        for (const [index, member] of members.entries()) {
          const wishlist = `After the draw ${index}:\n${'★'.repeat(index + 1)}`;
          expect((await api.updateWishlist(member.participantToken, wishlist)).wishlist).toBe(wishlist);
          const giverId = [...assignment].find(([, receiver]) => receiver === member.participant.id)?.[0];
          const giver = members.find(({ participant }) => participant.id === giverId) as Member;
          expect((await api.me(giver.participantToken)).giftee).toEqual({ name: member.participant.name, wishlist });
          expect((await api.me(member.participantToken)).participant.wishlist).toBe(wishlist);
        }
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 4, exclusionCount: 0 });
        await api.updateWishlist(first.participantToken, '');
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 3, exclusionCount: 0 });
      });

      it('rejects an invalid wishlist with 422 and keeps the old one', async () => {
        const { members } = await exchangeWith(1);
        const token = members[0]?.participantToken as string;
        await api.updateWishlist(token, 'Kept');
        for (const body of [{ wishlist: 'w'.repeat(2001) }, { wishlist: 5 }, {}, { wishlist: 'x', name: 'Mallory' }]) {
          expectProblem(await api.call('PUT', '/api/v1/me/wishlist', { token, json: body }), 422, 'validation_failed');
        }
        expect((await api.me(token)).participant.wishlist).toBe('Kept');
      });
    });

    describe('GET /api/v1/exchanges/:id/participants.csv', () => {
      it('exports name,email,wishlist in join order, with formulas neutralised', async () => {
        const organizer = await api.createExchange();
        const inputs: NewParticipant[] = [
          { name: '=1+1', email: 'f1@example.com', wishlist: '+SUM(A1:A9)' },
          { name: '-2', email: 'f2@example.com', wishlist: '@cmd' },
          { name: '\t=HYPERLINK("http://x")', email: 'f3@example.com', wishlist: '\r=1' },
          { name: 'Plain, "quoted"', email: 'f4@example.com', wishlist: 'line one\nline two =not a formula' },
          { name: 'Ünïcödé 🎁 עברית', email: 'f5@example.com', wishlist: '' },
        ];
        const stored: Participant[] = [];
        for (const input of inputs) stored.push((await api.addParticipant(organizer, input)).participant);

        const reply = await api.exportCsv(organizer);
        expect(reply.headers.get('content-type')).toMatch(/^text\/csv/);
        expect(reply.headers.get('content-disposition')).toMatch(/^attachment/);
        const [header, ...rows] = parseCsv(reply.text);
        expect(header).toEqual(['name', 'email', 'wishlist']);
        const neutralise = (value: string) => (/^[=+\-@\t\r]/.test(value) ? `'${value}` : value);
        expect(rows).toEqual(stored.map(({ name, email, wishlist }) => [neutralise(name), neutralise(email), neutralise(wishlist)]));
        for (const row of rows) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
      });

      it('exports only the header for an exchange without participants', async () => {
        const reply = await api.exportCsv(await api.createExchange());
        expect(parseCsv(reply.text)).toEqual([['name', 'email', 'wishlist']]);
      });
    });

    describe('POST /api/v1/exchanges/:id/participants.csv', () => {
      it('imports every row in order, each with a working token', async () => {
        const organizer = await api.createExchange();
        const rows = [
          ['Ann', 'ann@example.com', 'Books, and more books'],
          ['Bob "the builder"', 'bob@example.com', 'Line one\nLine two'],
          ['Cy', 'cy@example.com', ''],
          ['Dee 🎄', 'dee@example.com', 'Tea'],
        ];
        const reply = await api.call('POST', exchangePath(organizer.id, '/participants.csv'), {
          token: organizer.organizerToken,
          body: `\uFEFF${participantsCsv(rows)}`,
          contentType: 'text/csv; charset=utf-8',
        });
        const { created, participants } = expectStatus<{ created: number; participants: Member[] }>(reply, 201).body;
        expect(created).toBe(4);
        expect(participants.map(({ participant }) => [participant.name, participant.email, participant.wishlist])).toEqual(rows);
        for (const { participant, participantToken } of participants) expect((await api.me(participantToken)).participant).toEqual(participant);
        expect((await api.allParticipants(organizer)).map(({ id }) => id)).toEqual(participants.map(({ participant }) => participant.id));
        await expectCounts(organizer, { participantCount: 4, wishlistCount: 3, exclusionCount: 0 });
      });

      it('refuses a wrong header, unparseable CSV and bad rows, importing nothing', async () => {
        const { organizer } = await exchangeWith(1, 'Existing');
        const before = await api.snapshot(organizer);
        const post = (body: string) =>
          api.call('POST', exchangePath(organizer.id, '/participants.csv'), { token: organizer.organizerToken, body, contentType: 'text/csv' });
        const good = csvRows([person('New', 1)]);

        for (const header of [['name', 'mail', 'wishlist'], ['name', 'email'], ['email', 'name', 'wishlist'], ['name', 'email', 'wishlist', 'extra']]) {
          const problem = expectProblem(await post(participantsCsv(good, header)), 422, 'validation_failed');
          expect(problem.errors?.map(({ path }) => path), header.join(',')).toContain('/1');
        }
        expectProblem(await post('name,email,wishlist\r\n"Ann,ann@example.com,unclosed quote\r\n'), 400, 'malformed_csv');
        expectProblem(await post('name,email,wishlist\r\n'), 422, 'validation_failed');

        const duplicateInFile = expectProblem(
          await post(participantsCsv([['A', 'same@example.com', ''], ['B', 'SAME@example.com', '']])),
          422,
          'validation_failed',
        );
        expect(duplicateInFile.errors?.map(({ path }) => path)).toEqual(['/3/email']);
        const duplicateOfExisting = expectProblem(await post(participantsCsv(csvRows([person('Existing', 0)]))), 422, 'validation_failed');
        expect(duplicateOfExisting.errors?.map(({ path }) => path)).toEqual(['/2/email']);

        expect(await api.snapshot(organizer)).toEqual(before);
      });

      it('refuses 1,000 rows with one bad row, naming its line, and imports none of them', async () => {
        const organizer = await api.createExchange();
        const rows = csvRows(Array.from({ length: 1000 }, (_, i) => person('Bulk', i)));
        rows[637] = ['Broken', 'not-an-address', ''];
        const reply = await api.call('POST', exchangePath(organizer.id, '/participants.csv'), {
          token: organizer.organizerToken,
          body: participantsCsv(rows),
          contentType: 'text/csv',
        });
        const problem = expectProblem(reply, 422, 'validation_failed');
        // The header is line 1, so row 637 (from 0) is on line 639.
        expect(problem.errors?.map(({ path }) => path)).toEqual(['/639/email']);
        expect(await api.dashboard(organizer)).toMatchObject({ participantCount: 0 });
        expect(await api.page(organizer)).toEqual({ items: [], nextCursor: null });
      });
    });

    describe('Idempotency-Key on every POST', () => {
      const key = () => `conformance-${randomUUID()}`;

      /** The repeat is the first response again, marked as a replay. */
      function expectReplay(first: Reply, repeat: Reply): void {
        expect(repeat.status).toBe(first.status);
        expect(repeat.text).toBe(first.text);
        expect(repeat.headers.get('idempotent-replayed')).toBe('true');
      }

      it('POST /exchanges', async () => {
        const idempotencyKey = key();
        const send = (name: string) => api.call('POST', '/api/v1/exchanges', { json: { name }, idempotencyKey });
        const first = expectStatus<Omit<Organizer, 'id'>>(await send('Once'), 201);
        expect(first.headers.get('idempotent-replayed')).toBeNull();
        expectReplay(first, await send('Once'));
        const organizer = { id: first.body.exchange.id, ...first.body };
        expect(await api.dashboard(organizer)).toEqual(first.body.exchange);
        expectProblem(await send('Twice'), 422, 'idempotency_key_reused');
        // A different key is a different request.
        expect((await api.createExchange({ name: 'Once' }, { idempotencyKey: key() })).id).not.toBe(organizer.id);
      });

      it('POST /exchanges/:id/participants', async () => {
        const organizer = await api.createExchange();
        const idempotencyKey = key();
        const send = (email: string) =>
          api.call('POST', exchangePath(organizer.id, '/participants'), { token: organizer.organizerToken, idempotencyKey, json: { name: 'Ann', email } });
        const first = expectStatus<Member>(await send('ann@example.com'), 201);
        const after = await api.snapshot(organizer);
        expectReplay(first, await send('ann@example.com'));
        expect(await api.snapshot(organizer)).toEqual(after);
        expect((await api.me(first.body.participantToken)).participant).toEqual(first.body.participant);
        expectProblem(await send('bob@example.com'), 422, 'idempotency_key_reused');
        expect(await api.snapshot(organizer)).toEqual(after);

        // The key is scoped to its path: another exchange runs the same request anew.
        const other = await api.createExchange();
        const elsewhere = await api.call('POST', exchangePath(other.id, '/participants'), {
          token: other.organizerToken,
          idempotencyKey,
          json: { name: 'Ann', email: 'ann@example.com' },
        });
        expect(expectStatus<Member>(elsewhere, 201).body.participant.id).not.toBe(first.body.participant.id);
      });

      it('does the work once for concurrent twins with the same key', async () => {
        const organizer = await api.createExchange();
        const idempotencyKey = key();
        const twins = await Promise.all(
          Array.from({ length: 5 }, () =>
            api.call('POST', exchangePath(organizer.id, '/participants'), {
              token: organizer.organizerToken,
              idempotencyKey,
              json: { name: 'Twin', email: 'twin@example.com' },
            }),
          ),
        );
        const created = twins.filter(({ status }) => status === 201);
        // A twin that finds the first still in flight may be told to retry (409), never to fail otherwise.
        for (const twin of twins.filter(({ status }) => status !== 201)) expectProblem(twin, 409, 'idempotency_key_in_use');
        expect(created.length).toBeGreaterThan(0);
        for (const twin of created) expect(twin.text).toBe(created[0]?.text);
        expect(await api.dashboard(organizer)).toMatchObject({ participantCount: 1 });
      });

      it('POST /exchanges/:id/join', async () => {
        const organizer = await api.createExchange();
        const idempotencyKey = key();
        const send = (email: string) =>
          api.call('POST', exchangePath(organizer.id, '/join'), { idempotencyKey, json: { inviteCode: organizer.inviteCode, name: 'Ann', email } });
        const first = expectStatus<Member>(await send('ann@example.com'), 201);
        const after = await api.snapshot(organizer);
        expectReplay(first, await send('ann@example.com'));
        expect(await api.snapshot(organizer)).toEqual(after);
        expectProblem(await send('bob@example.com'), 422, 'idempotency_key_reused');
        expect(await api.snapshot(organizer)).toEqual(after);
      });

      it('POST /exchanges/:id/participants.csv', async () => {
        const organizer = await api.createExchange();
        const idempotencyKey = key();
        const send = (rows: string[][]) =>
          api.call('POST', exchangePath(organizer.id, '/participants.csv'), {
            token: organizer.organizerToken,
            idempotencyKey,
            body: participantsCsv(rows),
            contentType: 'text/csv',
          });
        const rows = csvRows([person('Csv', 1), person('Csv', 2)]);
        const first = expectStatus(await send(rows), 201);
        const after = await api.snapshot(organizer);
        expectReplay(first, await send(rows));
        expect(await api.snapshot(organizer)).toEqual(after);
        expectProblem(await send(csvRows([person('Csv', 3)])), 422, 'idempotency_key_reused');
        expect(await api.snapshot(organizer)).toEqual(after);
      });

      it('POST /exchanges/:id/draw replays the first draw instead of answering 409', async () => {
        const { organizer, members } = await exchangeWith(5);
        const idempotencyKey = key();
        const send = (options: CallOptions = {}) =>
          api.call('POST', exchangePath(organizer.id, '/draw'), { token: organizer.organizerToken, idempotencyKey, ...options });
        const first = expectStatus(await send(), 200);
        const assignment = await readAssignment(api, members);
        const after = await api.snapshot(organizer);
        expectReplay(first, await send());
        expect(await api.snapshot(organizer)).toEqual(after);
        expect(await readAssignment(api, members)).toEqual(assignment);
        expectProblem(await send({ json: {} }), 422, 'idempotency_key_reused');
        expect(await api.snapshot(organizer)).toEqual(after);
      });
    });

    describe('authentication and isolation', () => {
      let a: { organizer: Organizer; members: Member[] };
      let b: { organizer: Organizer; members: Member[] };

      beforeAll(async () => {
        a = await exchangeWith(4, 'Alpha');
        b = await exchangeWith(3, 'Beta');
        const [a0, a1] = ids(a.members) as [string, string];
        await api.replaceExclusions(a.organizer, [{ giverId: a0, receiverId: a1 }]);
      });

      /** Every organizer route of an exchange, with a body it would accept. */
      function organizerRequests(exchangeId: string, participantId: string): [string, string, CallOptions][] {
        return [
          ['GET', exchangePath(exchangeId), {}],
          ['GET', exchangePath(exchangeId, '/participants'), {}],
          ['POST', exchangePath(exchangeId, '/participants'), { json: person('Intruder', 1) }],
          ['DELETE', exchangePath(exchangeId, `/participants/${participantId}`), {}],
          ['GET', exchangePath(exchangeId, '/exclusions'), {}],
          ['PUT', exchangePath(exchangeId, '/exclusions'), { json: { exclusions: [] } }],
          ['POST', exchangePath(exchangeId, '/draw'), {}],
          ['GET', exchangePath(exchangeId, '/participants.csv'), {}],
          ['POST', exchangePath(exchangeId, '/participants.csv'), { body: participantsCsv(csvRows([person('Intruder', 2)])), contentType: 'text/csv' }],
        ];
      }

      const participantRequests: [string, string, CallOptions][] = [
        ['GET', '/api/v1/me', {}],
        ['PUT', '/api/v1/me/wishlist', { json: { wishlist: 'Stolen' } }],
      ];

      async function expectAll(requests: [string, string, CallOptions][], headers: Record<string, string>, status: number, code: string) {
        for (const [method, path, options] of requests) {
          const reply = await api.call(method, path, { ...options, headers });
          expectProblem(reply, status, code);
          if (status === 401) expect(reply.headers.get('www-authenticate'), `${method} ${path}`).toMatch(/^Bearer/);
        }
      }

      it('answers 401 without a token, with an unknown token, and with the wrong kind of token', async () => {
        const before = [await api.snapshot(a.organizer), await api.snapshot(b.organizer)];
        const aId = a.members[1]?.participant.id as string;
        const all = [...organizerRequests(a.organizer.id, aId), ...participantRequests];
        await expectAll(all, {}, 401, 'unauthorized');
        for (const token of [`so_${'A'.repeat(43)}`, `sp_${'A'.repeat(43)}`, 'x', a.organizer.inviteCode]) {
          await expectAll(all, { authorization: `Bearer ${token}` }, 401, 'unauthorized');
        }
        for (const header of ['Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'Bearer', a.organizer.organizerToken, `Token ${a.organizer.organizerToken}`]) {
          await expectAll(all, { authorization: header }, 401, 'unauthorized');
        }
        const participantToken = a.members[0]?.participantToken as string;
        await expectAll(organizerRequests(a.organizer.id, aId), { authorization: `Bearer ${participantToken}` }, 401, 'unauthorized');
        await expectAll(participantRequests, { authorization: `Bearer ${a.organizer.organizerToken}` }, 401, 'unauthorized');
        expect([await api.snapshot(a.organizer), await api.snapshot(b.organizer)]).toEqual(before);
      });

      it("answers 404 to an organizer token on another exchange, as for one that does not exist", async () => {
        const before = [await api.snapshot(a.organizer), await api.snapshot(b.organizer)];
        const bId = b.members[0]?.participant.id as string;
        const aToken = { authorization: `Bearer ${a.organizer.organizerToken}` };
        await expectAll(organizerRequests(b.organizer.id, bId), aToken, 404, 'not_found');
        await expectAll(organizerRequests(randomUUID(), bId), aToken, 404, 'not_found');
        // A's own participant, addressed through B, is not found either.
        const aId = a.members[0]?.participant.id as string;
        expectProblem(await api.call('DELETE', exchangePath(b.organizer.id, `/participants/${aId}`), { headers: { authorization: `Bearer ${b.organizer.organizerToken}` } }), 404, 'not_found');
        expect([await api.snapshot(a.organizer), await api.snapshot(b.organizer)]).toEqual(before);
      });

      it("keeps a participant to their own exchange and their own wishlist", async () => {
        const bBefore = await api.snapshot(b.organizer);
        const [ann, bob] = a.members as [Member, Member];
        const me = await api.me(ann.participantToken);
        expect(me.exchange.id).toBe(a.organizer.id);
        expect(me.participant).toEqual(ann.participant);
        const updated = await api.updateWishlist(ann.participantToken, 'Only mine');
        expect(updated.id).toBe(ann.participant.id);
        expect((await api.me(bob.participantToken)).participant.wishlist).toBe(bob.participant.wishlist);
        const joinWithA = await api.call('POST', exchangePath(b.organizer.id, '/join'), {
          json: { inviteCode: a.organizer.inviteCode, ...person('Crossover', 1) },
        });
        expectProblem(joinWithA, 404, 'not_found');
        expect(await api.snapshot(b.organizer)).toEqual(bBefore);
      });

      it('shows the organizer no assignment, anywhere', async () => {
        const { organizer, members } = a;
        const drawReply = expectStatus(await api.call('POST', exchangePath(organizer.id, '/draw'), { token: organizer.organizerToken }), 200);
        const assignment = await readAssignment(api, members);
        const token = organizer.organizerToken;
        const seen: Reply[] = [drawReply];
        for (const path of [
          exchangePath(organizer.id),
          exchangePath(organizer.id, '/participants'),
          exchangePath(organizer.id, '/participants?limit=1'),
          exchangePath(organizer.id, '/exclusions'),
          exchangePath(organizer.id, '/participants.csv'),
        ]) {
          seen.push(expectStatus(await api.call('GET', path, { token }), 200));
        }
        const nameOf = new Map(members.map(({ participant }) => [participant.id, participant.name]));
        const exclusions = new Set((await api.exclusions(organizer)).map(({ giverId, receiverId }) => `${giverId} ${receiverId}`));
        for (const reply of seen) {
          expect(reply.text, reply.request).not.toMatch(/giftee|assignment|receiver(?!Id)/i);
          const records = reply.headers.get('content-type')?.startsWith('text/csv')
            ? parseCsv(reply.text).map((row) => Object.fromEntries(row.entries()))
            : objectsIn(reply.body);
          for (const record of records) {
            // An exclusion names two people by design; it is never an assignment.
            if (exclusions.has(`${String(record.giverId)} ${String(record.receiverId)}`)) continue;
            const values = new Set(Object.values(record).map(String));
            for (const [giver, receiver] of assignment) {
              const linked = (values.has(giver) || values.has(nameOf.get(giver) as string)) && (values.has(receiver) || values.has(nameOf.get(receiver) as string));
              expect(linked, `${reply.request} links ${nameOf.get(giver)} to ${nameOf.get(receiver)}: ${JSON.stringify(record)}`).toBe(false);
            }
          }
        }
      });
    });

    describe('operations and protocol', () => {
      it('answers /healthz, /readyz and /metrics', async () => {
        expect(expectStatus(await api.call('GET', '/healthz'), 200).body).toEqual({ status: 'ok' });
        expect(expectStatus(await api.call('GET', '/readyz'), 200).body).toEqual({ status: 'ready' });
        const metrics = expectStatus<string>(await api.call('GET', '/metrics'), 200);
        expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
        expect(metrics.body).toMatch(/^# TYPE http_request_duration_seconds histogram$/m);
        expect(metrics.body).toMatch(/^http_request_duration_seconds_bucket\{(?=[^}]*route="\/api\/v1\/exchanges")(?=[^}]*status="201")[^}]*\} \d+$/m);
        expect(metrics.body).toMatch(/^http_request_duration_seconds_count\{/m);
      });

      it('keeps answers with secrets or private data out of caches', async () => {
        const organizer = await api.createExchange();
        const member = await api.addParticipant(organizer, person('Private', 1));
        for (const [method, path, token] of [
          ['GET', exchangePath(organizer.id), organizer.organizerToken],
          ['GET', exchangePath(organizer.id, '/participants.csv'), organizer.organizerToken],
          ['GET', '/api/v1/me', member.participantToken],
        ] as const) {
          const reply = expectStatus(await api.call(method, path, { token }), 200);
          expect(reply.headers.get('cache-control'), path).toContain('no-store');
        }
        const created = expectStatus(await api.call('POST', '/api/v1/exchanges', { json: { name: 'Fresh' } }), 201);
        expect(created.headers.get('cache-control')).toContain('no-store');
      });

      it('answers HEAD like GET without a body, and OPTIONS with the allowed methods', async () => {
        const member = await api.addParticipant(await api.createExchange(), person('Head', 1));
        for (const [path, token] of [['/healthz', undefined], ['/api/v1/me', member.participantToken]] as const) {
          const reply = expectStatus(await api.call('HEAD', path, { token }), 200);
          expect(reply.text).toBe('');
        }
        const options = expectStatus(await api.call('OPTIONS', '/api/v1/exchanges'), 204);
        expect(options.headers.get('allow')).toContain('POST');
      });

      it('answers unknown routes with 404 and wrong methods with 405, as problem documents', async () => {
        for (const path of ['/api/v1/nothing-here', '/api/v2/exchanges', '/api/v1/exchanges/%zz', '/api/v1/me/giftee']) {
          const problem = expectProblem(await api.call('GET', path), 404, 'not_found');
          expect(problem.title).not.toBe('');
          expect(problem.detail).not.toBe('');
        }
        const wrongMethods: [string, string, string][] = [
          ['GET', '/api/v1/exchanges', 'POST'],
          ['DELETE', '/api/v1/me', 'GET'],
          ['POST', '/api/v1/me/wishlist', 'PUT'],
          ['PATCH', exchangePath(randomUUID()), 'GET'],
          ['PUT', '/healthz', 'GET'],
        ];
        for (const [method, path, allowed] of wrongMethods) {
          const reply = await api.call(method, path);
          expectProblem(reply, 405, 'method_not_allowed');
          expect(reply.headers.get('allow'), `${method} ${path}`).toContain(allowed);
        }
      });
    });

    describe('writes racing each other', () => {
      it('lets exactly one of 20 concurrent joins with the same address in', async () => {
        const organizer = await api.createExchange();
        const replies = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            api.call('POST', exchangePath(organizer.id, '/join'), {
              json: { inviteCode: organizer.inviteCode, name: `Racer ${i}`, email: i % 2 === 0 ? 'racer@example.com' : 'RACER@example.com' },
            }),
          ),
        );
        expect(replies.filter(({ status }) => status === 201)).toHaveLength(1);
        for (const reply of replies.filter(({ status }) => status !== 201)) expectProblem(reply, 409, 'duplicate_email');
        expect(await api.dashboard(organizer)).toMatchObject({ participantCount: 1 });
      });

      it('draws everybody who got in before the draw and nobody after it', async () => {
        const organizer = await api.createExchange();
        const founders: Member[] = [];
        for (let i = 0; i < 4; i++) founders.push(await api.addParticipant(organizer, person('Founder', i)));
        const draw = api.call('POST', exchangePath(organizer.id, '/draw'), { token: organizer.organizerToken });
        const joins = Array.from({ length: 12 }, (_, i) => api.call('POST', exchangePath(organizer.id, '/join'), { json: { inviteCode: organizer.inviteCode, ...person('Latecomer', i) } }));
        expectStatus(await draw, 200);
        const joined: Member[] = [];
        for (const reply of await Promise.all(joins)) {
          if (reply.status === 201) joined.push(reply.body as Member);
          else expectProblem(reply, 409, 'already_drawn');
        }
        // Whoever got in is part of the one draw: everybody listed gives and receives.
        const everybody = [...founders, ...joined];
        expect((await api.allParticipants(organizer)).map(({ id }) => id).sort()).toEqual(ids(everybody).sort());
        expectValidAssignment(await readAssignment(api, everybody), ids(everybody), []);
      });

      it('never keeps an exclusion of a participant removed at the same time', async () => {
        const { organizer, members } = await exchangeWith(6);
        const [leaver, ...stayers] = ids(members) as [string, ...string[]];
        const exclusions = stayers.flatMap((other) => [
          { giverId: leaver, receiverId: other },
          { giverId: other, receiverId: leaver },
        ]);
        const [put, removal] = await Promise.all([
          api.call('PUT', exchangePath(organizer.id, '/exclusions'), { token: organizer.organizerToken, json: { exclusions } }),
          api.call('DELETE', exchangePath(organizer.id, `/participants/${leaver}`), { token: organizer.organizerToken }),
        ]);
        expectStatus(removal, 204);
        // The exclusions landed first (and went with the participant) or came second and named a stranger.
        if (put.status !== 200) expectProblem(put, 422, 'validation_failed');
        expect(await api.exclusions(organizer)).toEqual([]);
        await expectCounts(organizer, { participantCount: 5, wishlistCount: 0, exclusionCount: 0 });
      });
    });

    describe('the participant limit', () => {
      it('holds 10,000 participants and refuses the next one with 409 participant_limit', async () => {
        const organizer = await api.createExchange({ name: 'Full house' });
        const tooMany = csvRows(Array.from({ length: 10_001 }, (_, i) => person('Many', i)));
        const overflow = await api.call('POST', exchangePath(organizer.id, '/participants.csv'), {
          token: organizer.organizerToken,
          body: participantsCsv(tooMany),
          contentType: 'text/csv',
        });
        expectProblem(overflow, 409, 'participant_limit');
        await expectCounts(organizer, { participantCount: 0, wishlistCount: 0, exclusionCount: 0 });

        expect(await api.importCsv(organizer, participantsCsv(tooMany.slice(0, 10_000)))).toHaveLength(10_000);
        const token = organizer.organizerToken;
        expectProblem(await api.call('POST', exchangePath(organizer.id, '/participants'), { token, json: person('One more', 1) }), 409, 'participant_limit');
        expectProblem(
          await api.call('POST', exchangePath(organizer.id, '/join'), { json: { inviteCode: organizer.inviteCode, ...person('One more', 2) } }),
          409,
          'participant_limit',
        );
        await expectCounts(organizer, { participantCount: 10_000, wishlistCount: 0, exclusionCount: 0 });
      });
    });

    // Last, so that it sees the log lines of every request above.
    describe('logs', () => {
      it('holds no token, of all those issued above', async () => {
        const issued = api.issuedTokens;
        expect(issued.size).toBeGreaterThan(100);
        const output = stage?.output() ?? '';
        const leaked = [...new Set(output.match(/[A-Za-z0-9_-]{22,}/g) ?? [])].filter((word) => issued.has(word));
        expect(leaked).toEqual([]);
      });
    });

    /** Adds participants by name (addresses derived from them); returns their ids in order. */
    async function addNamed(organizer: Organizer, names: string[]): Promise<string[]> {
      const added: string[] = [];
      for (const name of names) added.push((await api.addParticipant(organizer, { name, email: `${name.toLowerCase()}@example.com` })).participant.id);
      return added;
    }
  });
}

function ids(members: Member[]): string[] {
  return members.map(({ participant }) => participant.id);
}

function sortExclusions(exclusions: Exclusion[]): Exclusion[] {
  return [...exclusions].sort((x, y) => `${x.giverId}${x.receiverId}`.localeCompare(`${y.giverId}${y.receiverId}`));
}

/** Who gives to whom, as only the givers themselves can read it: giver id -> receiver id. */
async function readAssignment(api: StageClient, members: Member[]): Promise<Map<string, string>> {
  const idByName = new Map(members.map(({ participant }) => [participant.name, participant.id]));
  const assignment = new Map<string, string>();
  for (const { participant, participantToken } of members) {
    const { giftee } = await api.me(participantToken);
    const receiverId = giftee === null ? undefined : idByName.get(giftee.name);
    if (receiverId === undefined) throw new Error(`${participant.name} has no giftee among the participants: ${JSON.stringify(giftee)}`);
    assignment.set(participant.id, receiverId);
  }
  return assignment;
}

/** A permutation of the participants with no fixed point and no excluded pair. */
function expectValidAssignment(assignment: Map<string, string>, participantIds: string[], exclusions: Exclusion[]): void {
  const everybody = [...participantIds].sort();
  expect([...assignment.keys()].sort(), 'everybody gives').toEqual(everybody);
  expect([...assignment.values()].sort(), 'everybody receives exactly once').toEqual(everybody);
  for (const [giver, receiver] of assignment) expect(receiver, 'nobody draws themselves').not.toBe(giver);
  for (const { giverId, receiverId } of exclusions) expect(assignment.get(giverId), 'no exclusion is violated').not.toBe(receiverId);
}

function cycleLengths(assignment: Map<string, string>): number[] {
  const seen = new Set<string>();
  const lengths: number[] = [];
  for (const start of assignment.keys()) {
    if (seen.has(start)) continue;
    let length = 0;
    for (let at: string | undefined = start; at !== undefined && !seen.has(at); at = assignment.get(at)) {
      seen.add(at);
      length++;
    }
    lengths.push(length);
  }
  return lengths.sort((x, y) => x - y);
}

/** Every object nested in a JSON value, the value itself included. */
function objectsIn(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.flatMap(objectsIn);
  if (value === null || typeof value !== 'object') return [];
  const object = value as Record<string, unknown>;
  return [object, ...Object.values(object).flatMap(objectsIn)];
}
