/**
 * "Bad input gets a clear 4xx problem document and changes nothing. Nothing a client
 * sends produces a 500 or a crash." Every rejected request below is followed by a
 * read-back of the exchange it aimed at. The client also fails any response the
 * OpenAPI document does not allow, which includes every 5xx but 503.
 */
import type { ClientRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom, type Random } from '@santa/domain';
import {
  csvRows,
  exchangePath,
  expectProblem,
  expectStatus,
  makeDataDir,
  participantsCsv,
  person,
  removeDataDir,
  startStage,
  type CallOptions,
  type Member,
  type MeView,
  type Organizer,
  type Problem,
  type Reply,
  type StageClient,
  type StageProcess,
} from './harness';
import { STAGES } from './stages';

const MiB = 1024 * 1024;
const FUZZ_SEED = Number(process.env.CONFORMANCE_FUZZ_SEED ?? 20261224);
const FUZZ_REQUESTS = 250;

/** Text any careful API stores and returns exactly: it is valid Unicode, within the limits. */
const STORED_AS_GIVEN = [
  "Robert'); DROP TABLE participants;--",
  "' OR '1'='1",
  '1; SELECT * FROM exchanges',
  "=cmd|' /C calc'!A0",
  '@SUM(1+1)*cmd',
  '+1-1',
  '-2+3',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '\u202Egnp.exe',
  'שלום עולם',
  'مرحبا بالعالم',
  '👩‍👩‍👧‍👦🎄🎁',
  'Z̷̢͚a̸l̶g̷o̵',
  'Cafe\u0301 and Café',
  'line\u2028separator\u2029paragraph',
  '{"$ne": null}',
  '__proto__',
  'constructor',
  'null',
  '${7*7} {{7*7}} %s %n',
  '../../etc/passwd',
  'C:\\temp\\ "quoted" \'single\' `back`',
  '\\u0000 is not a null byte',
];

/** Control characters and broken Unicode: a stage may store them exactly or refuse them (422). */
const STORED_OR_REFUSED = ['a\u0000b', 'bell\u0007', 'esc\u001b[31mred', 'lone \ud800 surrogate', 'del\u007fete'];

/** Longer than any name or wishlist may be. */
const TOO_LONG = ['x'.repeat(10_000), '🎁'.repeat(10_000)];

for (const stage of STAGES) badInputSuite(stage);

function badInputSuite(stageName: string): void {
  describe(`${stageName}: bad input changes nothing and never breaks the server`, () => {
    let stage: StageProcess | undefined;
    let dataDir = '';
    let api: StageClient;
    /** The exchange most bad requests aim at: participants, wishlists, an exclusion. */
    let target: { organizer: Organizer; members: Member[] };

    beforeAll(async () => {
      dataDir = await makeDataDir(stageName);
      stage = await startStage(stageName, dataDir);
      api = stage.client;
      const organizer = await api.createExchange({ name: 'Target', budget: { amount: 20, currency: 'EUR' } });
      const members: Member[] = [];
      for (let i = 0; i < 3; i++) members.push(await api.addParticipant(organizer, person('Target', i, `Wish ${i}`)));
      await api.replaceExclusions(organizer, [{ giverId: members[0]?.participant.id as string, receiverId: members[1]?.participant.id as string }]);
      target = { organizer, members };
    });

    afterAll(async () => {
      try {
        await stage?.stop();
      } finally {
        await removeDataDir(dataDir);
      }
    });

    /** Everything about an exchange a request could have changed. */
    async function stateOf({ organizer, members }: { organizer: Organizer; members: Member[] }) {
      const views: MeView[] = [];
      for (const { participantToken } of members) views.push(await api.me(participantToken));
      return { ...(await api.snapshot(organizer)), views };
    }

    /**
     * The target as each test finds it. Every request a test refuses must leave it so,
     * which makes this the state before each of them too.
     */
    let baseline: Awaited<ReturnType<typeof stateOf>>;
    beforeEach(async () => {
      baseline = await stateOf(target);
    });

    /** Sends the request, expects the problem, and checks that the target exchange is as it was. */
    async function refused(send: () => Promise<Reply>, status: number, code?: string): Promise<Problem> {
      const reply = await send();
      const problem = expectProblem(reply, status, code);
      expect(await stateOf(target), `${reply.request} -> ${reply.status} changed the exchange`).toEqual(baseline);
      return problem;
    }

    /** Every JSON-bodied route, aimed at the target exchange, with the credential it needs. */
    function jsonRoutes(): { method: string; path: string; token?: string; valid: unknown }[] {
      const { organizer, members } = target;
      const [giver, receiver] = members.map(({ participant }) => participant.id) as [string, string];
      return [
        { method: 'POST', path: '/api/v1/exchanges', valid: { name: 'Valid' } },
        { method: 'POST', path: exchangePath(organizer.id, '/participants'), token: organizer.organizerToken, valid: person('Valid', 1) },
        { method: 'POST', path: exchangePath(organizer.id, '/join'), valid: { inviteCode: organizer.inviteCode, ...person('Valid', 2) } },
        { method: 'PUT', path: exchangePath(organizer.id, '/exclusions'), token: organizer.organizerToken, valid: { exclusions: [{ giverId: receiver, receiverId: giver }] } },
        { method: 'PUT', path: '/api/v1/me/wishlist', token: members[2]?.participantToken, valid: { wishlist: 'Valid' } },
        { method: 'POST', path: exchangePath(organizer.id, '/draw'), token: organizer.organizerToken, valid: {} },
      ];
    }

    it('answers malformed JSON with 400 on every JSON route', async () => {
      const malformed: (string | Uint8Array)[] = [
        '{"name":',
        '{name: "x"}',
        "{'name': 'x'}",
        '{"name": "x",}',
        '{"name": "x"} trailing',
        '[',
        'undefined',
        'NaN',
        new Uint8Array([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      ];
      for (const route of jsonRoutes()) {
        for (const body of malformed) {
          await refused(() => api.call(route.method, route.path, { token: route.token, body, contentType: 'application/json' }), 400, 'malformed_json');
        }
      }
    });

    it('answers wrong types, unknown fields and bodies of the wrong shape with 422', async () => {
      const { organizer, members } = target;
      const cases: [string, string, string | undefined, unknown][] = [
        ['POST', '/api/v1/exchanges', undefined, { name: 42 }],
        ['POST', '/api/v1/exchanges', undefined, { name: null }],
        ['POST', '/api/v1/exchanges', undefined, { name: ['Office'] }],
        ['POST', '/api/v1/exchanges', undefined, { name: { first: 'Office' } }],
        ['POST', '/api/v1/exchanges', undefined, { name: 'Office', budget: 'cheap' }],
        ['POST', '/api/v1/exchanges', undefined, { name: 'Office', rules: true }],
        ['POST', '/api/v1/exchanges', undefined, { name: 'Office', rules: { singleCycle: true, secret: 1 } }],
        ['POST', '/api/v1/exchanges', undefined, { name: 'Office', organizerToken: 'so_mine' }],
        ['POST', '/api/v1/exchanges', undefined, []],
        ['POST', '/api/v1/exchanges', undefined, 'Office'],
        ['POST', '/api/v1/exchanges', undefined, 42],
        ['POST', '/api/v1/exchanges', undefined, null],
        ['POST', exchangePath(organizer.id, '/participants'), organizer.organizerToken, { ...person('Typed', 1), id: randomUUID() }],
        ['POST', exchangePath(organizer.id, '/participants'), organizer.organizerToken, { ...person('Typed', 2), joinedAt: '2020-01-01T00:00:00.000Z' }],
        ['POST', exchangePath(organizer.id, '/participants'), organizer.organizerToken, { name: 'Typed', email: ['a@example.com'] }],
        ['POST', exchangePath(organizer.id, '/join'), undefined, { inviteCode: 12345, ...person('Typed', 3) }],
        ['POST', exchangePath(organizer.id, '/join'), undefined, { inviteCode: organizer.inviteCode, ...person('Typed', 4), status: 'drawn' }],
        ['PUT', exchangePath(organizer.id, '/exclusions'), organizer.organizerToken, { exclusions: {} }],
        ['PUT', exchangePath(organizer.id, '/exclusions'), organizer.organizerToken, { exclusions: [['a', 'b']] }],
        ['PUT', exchangePath(organizer.id, '/exclusions'), organizer.organizerToken, { exclusions: [{ giverId: 'not-an-id', receiverId: randomUUID() }] }],
        ['PUT', exchangePath(organizer.id, '/exclusions'), organizer.organizerToken, [{ giverId: randomUUID(), receiverId: randomUUID() }]],
        ['PUT', '/api/v1/me/wishlist', members[0]?.participantToken, { wishlist: null }],
        ['PUT', '/api/v1/me/wishlist', members[0]?.participantToken, { wishlist: ['a', 'b'] }],
        ['PUT', '/api/v1/me/wishlist', members[0]?.participantToken, 'a kite'],
        ['POST', exchangePath(organizer.id, '/draw'), organizer.organizerToken, { force: true }],
      ];
      for (const [method, path, token, json] of cases) {
        const problem = await refused(() => api.call(method, path, { token, json }), 422, 'validation_failed');
        expect(problem.errors, `${method} ${path} ${JSON.stringify(json)}`).toEqual(expect.arrayContaining([expect.objectContaining({ path: expect.any(String) })]));
      }
    });

    it('answers bodies over the limits with 413, whether announced or streamed', async () => {
      const { organizer, members } = target;
      const jsonTargets: [string, string, string | undefined][] = [
        ['POST', '/api/v1/exchanges', undefined],
        ['POST', exchangePath(organizer.id, '/participants'), organizer.organizerToken],
        ['POST', exchangePath(organizer.id, '/join'), undefined],
        ['PUT', exchangePath(organizer.id, '/exclusions'), organizer.organizerToken],
        ['PUT', '/api/v1/me/wishlist', members[0]?.participantToken],
        ['POST', exchangePath(organizer.id, '/draw'), organizer.organizerToken],
      ];
      for (const [method, path, token] of jsonTargets) {
        const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
        await refused(() => api.raw(method, path, { ...auth, 'content-type': 'application/json', 'content-length': MiB + 1 }, (req) => void req.write('{"name":"')), 413, 'payload_too_large');
        await refused(() => api.raw(method, path, { ...auth, 'content-type': 'application/json' }, streamPastLimit('{"wishlist":"', MiB)), 413, 'payload_too_large');
      }
      const csvPath = exchangePath(organizer.id, '/participants.csv');
      const csvHeaders = { authorization: `Bearer ${organizer.organizerToken}`, 'content-type': 'text/csv' };
      await refused(() => api.raw('POST', csvPath, { ...csvHeaders, 'content-length': 5 * MiB + 1 }, (req) => void req.write('name,email,wishlist\r\n')), 413, 'payload_too_large');
      await refused(() => api.raw('POST', csvPath, csvHeaders, streamPastLimit('name,email,wishlist\r\nA,a@example.com,"', 5 * MiB)), 413, 'payload_too_large');

      // At the limit the body is read, and judged on its content.
      const name = 'x'.repeat(MiB - '{"name":""}'.length);
      const atJsonLimit = await refused(() => api.call('POST', '/api/v1/exchanges', { json: { name } }), 422, 'validation_failed');
      expect(atJsonLimit.errors?.map(({ path }) => path)).toEqual(['/name']);
      const prefix = 'name,email,wishlist\r\nA,a@example.com,';
      const csvAtLimit = prefix + 'w'.repeat(5 * MiB - prefix.length);
      const atCsvLimit = await refused(() => api.call('POST', csvPath, { token: organizer.organizerToken, body: csvAtLimit, contentType: 'text/csv' }), 422, 'validation_failed');
      expect(atCsvLimit.errors?.map(({ path }) => path)).toEqual(['/2/wishlist']);
      expectStatus(await api.call('GET', '/healthz'), 200);
    });

    it('answers the wrong content type with 415', async () => {
      const json = JSON.stringify({ name: 'Typed' });
      for (const route of jsonRoutes()) {
        const body = JSON.stringify(route.valid);
        for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'text/csv', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', 'application/jsonx']) {
          await refused(() => api.call(route.method, route.path, { token: route.token, body, contentType }), 415, 'unsupported_media_type');
        }
        // A byte body, unlike a string, makes fetch send no Content-Type at all.
        await refused(() => api.call(route.method, route.path, { token: route.token, body: Buffer.from(body) }), 415, 'unsupported_media_type');
        await refused(
          () => api.call(route.method, route.path, { token: route.token, body, contentType: 'application/json', headers: { 'content-encoding': 'gzip' } }),
          415,
          'unsupported_media_type',
        );
      }
      const { organizer } = target;
      const csv = participantsCsv(csvRows([person('Typed', 9)]));
      for (const contentType of ['application/json', 'text/plain', 'text/csv; charset=utf-16']) {
        await refused(() => api.call('POST', exchangePath(organizer.id, '/participants.csv'), { token: organizer.organizerToken, body: csv, contentType }), 415, 'unsupported_media_type');
      }
      await refused(() => api.call('POST', '/api/v1/exchanges', { body: json, contentType: 'application/xml' }), 415, 'unsupported_media_type');
    });

    it('answers malformed CSV with 400 and a bad row among 1,000 with 422', async () => {
      const { organizer } = target;
      const post = (body: string | Uint8Array) =>
        api.call('POST', exchangePath(organizer.id, '/participants.csv'), { token: organizer.organizerToken, body, contentType: 'text/csv' });
      for (const body of [
        'name,email,wishlist\r\n"Ann,ann@example.com,never closed\r\n',
        'name,email,wishlist\r\nAn"n,ann@example.com,stray quote\r\n',
        'name,email,wishlist\r\n"Ann"x,ann@example.com,text after a quote\r\n',
        Buffer.concat([Buffer.from('name,email,wishlist\r\nAnn,ann@example.com,'), Buffer.from([0xc3, 0x28]), Buffer.from('\r\n')]),
      ]) {
        await refused(() => post(body), 400, 'malformed_csv');
      }
      const rows = csvRows(Array.from({ length: 1000 }, (_, i) => person('Bulk', i)));
      rows[499] = ['Short row', 'short@example.com'];
      const problem = await refused(() => post(participantsCsv(rows)), 422, 'validation_failed');
      expect(problem.errors?.map(({ path }) => path)).toEqual(['/501']);
    });

    it('stores hostile text exactly, refuses what it must with 422, and never fails', async () => {
      const organizer = await api.createExchange({ name: 'Hostile' });
      let serial = 0;

      const tryText = async (text: string, mustStore: boolean) => {
        const label = JSON.stringify(text.slice(0, 40));
        const address = `hostile.${serial++}@example.com`;
        const before = await api.snapshot(organizer);
        const attempts: [() => Promise<Reply>, (body: unknown) => Promise<void>][] = [
          [
            () => api.call('POST', '/api/v1/exchanges', { json: { name: text } }),
            async (body) => {
              const created = body as Omit<Organizer, 'id'>;
              expect(created.exchange.name, label).toBe(text);
              expect((await api.dashboard({ id: created.exchange.id, ...created })).name, label).toBe(text);
            },
          ],
          [
            () => api.call('POST', exchangePath(organizer.id, '/participants'), { token: organizer.organizerToken, json: { name: text, email: address, wishlist: text } }),
            async (body) => {
              const { participant, participantToken } = body as Member;
              expect([participant.name, participant.wishlist], label).toEqual([text, text]);
              const me = await api.me(participantToken);
              expect([me.participant.name, me.participant.wishlist], label).toEqual([text, text]);
              await api.updateWishlist(participantToken, `${text} again`);
              expect((await api.me(participantToken)).participant.wishlist, label).toBe(`${text} again`);
            },
          ],
        ];
        for (const [send, check] of attempts) {
          const reply = await send();
          if (reply.status === 201) {
            await check(reply.body);
          } else {
            expect(mustStore, `${label} was refused: ${reply.text}`).toBe(false);
            expectProblem(reply, 422, 'validation_failed');
            expect(await api.snapshot(organizer), label).toEqual(before);
          }
        }
      };

      for (const text of STORED_AS_GIVEN) await tryText(text, true);
      for (const text of STORED_OR_REFUSED) await tryText(text, false);

      const [someone] = target.members as [Member];
      for (const text of TOO_LONG) {
        await refused(() => api.call('POST', '/api/v1/exchanges', { json: { name: text } }), 422, 'validation_failed');
        await refused(() => api.call('POST', exchangePath(target.organizer.id, '/participants'), { token: target.organizer.organizerToken, json: { name: text, email: 'long@example.com' } }), 422, 'validation_failed');
        await refused(() => api.call('PUT', '/api/v1/me/wishlist', { token: someone.participantToken, json: { wishlist: text } }), 422, 'validation_failed');
      }

      // The same text through a CSV import comes back exactly too.
      const imported = await api.importCsv(
        await api.createExchange({ name: 'Hostile CSV' }),
        participantsCsv(STORED_AS_GIVEN.map((text, i) => [text, `csv.${i}@example.com`, `${text}\n${text}`])),
      );
      expect(imported.map(({ participant }) => [participant.name, participant.wishlist])).toEqual(STORED_AS_GIVEN.map((text) => [text, `${text}\n${text}`]));
      expectStatus(await api.call('GET', '/healthz'), 200);
    });

    it('answers missing, malformed and wrong tokens with 401', async () => {
      const { organizer, members } = target;
      const routes: [string, string, CallOptions][] = [
        ['GET', exchangePath(organizer.id), {}],
        ['POST', exchangePath(organizer.id, '/participants'), { json: person('Tokenless', 1) }],
        ['PUT', exchangePath(organizer.id, '/exclusions'), { json: { exclusions: [] } }],
        ['POST', exchangePath(organizer.id, '/draw'), {}],
        ['GET', '/api/v1/me', {}],
        ['PUT', '/api/v1/me/wishlist', { json: { wishlist: 'Stolen' } }],
      ];
      const headers = [
        'Bearer',
        'Bearer ',
        `Bearer ${'A'.repeat(10_000)}`,
        `Bearer ${organizer.organizerToken}x`,
        `Bearer ${organizer.organizerToken.slice(0, -1)}`,
        `Bearer ${organizer.organizerToken} ${members[0]?.participantToken}`,
        `Bearer ${organizer.organizerToken}, Bearer ${organizer.organizerToken}`,
        `Bearer clé`,
        `Bearer ' OR '1'='1`,
        `Basic ${Buffer.from(`organizer:${organizer.organizerToken}`).toString('base64')}`,
        `Digest ${organizer.organizerToken}`,
      ];
      for (const authorization of headers) {
        for (const [method, path, options] of routes) {
          const problem = await refused(() => api.call(method, path, { ...options, headers: { authorization } }), 401, 'unauthorized');
          expect(problem.detail).not.toContain(organizer.organizerToken);
        }
      }
    });

    it('answers ids that name nothing with 404', async () => {
      const { organizer } = target;
      const token = organizer.organizerToken;
      const badIds = ['not-a-uuid', randomUUID(), '00000000-0000-0000-0000-000000000000', `${organizer.id}0`, organizer.id.slice(0, -1), 'x'.repeat(5000), "'%20OR%201=1--", '%F0%9F%8E%81', '%00'];
      for (const id of badIds) {
        await refused(() => api.call('GET', exchangePath(id), { token }), 404, 'not_found');
        await refused(() => api.call('POST', exchangePath(id, '/participants'), { token, json: person('Lost', 1) }), 404, 'not_found');
        await refused(() => api.call('POST', exchangePath(id, '/join'), { json: { inviteCode: organizer.inviteCode, ...person('Lost', 2) } }), 404, 'not_found');
        await refused(() => api.call('DELETE', exchangePath(organizer.id, `/participants/${id}`), { token }), 404, 'not_found');
      }
    });

    it('answers bad query parameters with 422', async () => {
      const { organizer } = target;
      const token = organizer.organizerToken;
      const cursor = (await api.page(organizer, '?limit=1')).nextCursor as string;
      for (const query of ['limit=1e2', 'limit=0x10', 'limit=%2010', 'limit=10&limit=20', `cursor=${cursor}&cursor=${cursor}`, 'limt=5', `cursor=${'A'.repeat(5000)}`, `cursor=${cursor.slice(0, -2)}`, 'limit[]=5']) {
        await refused(() => api.call('GET', exchangePath(organizer.id, `/participants?${query}`), { token }), 422, 'validation_failed');
      }
    });

    it('answers a bad Idempotency-Key with 422 and accepts one of 255 characters', async () => {
      const { organizer } = target;
      const send = (key: string) =>
        api.call('POST', exchangePath(organizer.id, '/participants'), { token: organizer.organizerToken, json: person('Keyed', 1), headers: { 'idempotency-key': key } });
      for (const key of ['', 'a b', 'tab\tinside', 'x'.repeat(256), 'clé', '"quoted" key with spaces']) {
        await refused(() => send(key), 422);
      }
      const added = expectStatus<Member>(await send('k'.repeat(255)), 201).body;
      await api.removeParticipant(organizer, added.participant.id);
    });

    it(`survives ${FUZZ_REQUESTS} seeded random mutations of valid requests (seed ${FUZZ_SEED})`, async () => {
      const random = seededRandom(FUZZ_SEED);
      const organizer = await api.createExchange({ name: 'Fuzzed', budget: { amount: 10, currency: 'EUR' } });
      const members: Member[] = [];
      for (let i = 0; i < 4; i++) members.push(await api.addParticipant(organizer, person('Fuzz', i)));
      const fuzzed = { organizer, members };
      let state = await api.snapshot(organizer);
      const statuses = new Map<number, number>();

      for (let iteration = 0; iteration < FUZZ_REQUESTS; iteration++) {
        const request = fuzzRequest(random, fuzzed, iteration);
        const where = `fuzz #${iteration} (seed ${FUZZ_SEED}): ${request.method} ${request.path} ${describeBody(request.options)}`;
        let reply: Reply;
        try {
          reply = await api.call(request.method, request.path, request.options);
        } catch (error) {
          throw new Error(`${where}\n${(error as Error).message}`, { cause: error });
        }
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        expect(reply.status, where).toBeLessThan(500);
        if (reply.status >= 400) {
          expectProblem(reply, reply.status);
          expect(await api.snapshot(organizer), `${where} -> ${reply.status} changed the exchange`).toEqual(state);
        } else {
          state = await api.snapshot(organizer);
          if (request.path.endsWith('/participants') && request.method === 'POST') members.push(reply.body as Member);
        }
      }
      // The mutations must mostly be refused, yet some must get through, or the fuzz tests little.
      const refusedCount = [...statuses].filter(([status]) => status >= 400).reduce((sum, [, count]) => sum + count, 0);
      expect(refusedCount).toBeGreaterThan(FUZZ_REQUESTS / 2);
      expect(refusedCount).toBeLessThan(FUZZ_REQUESTS);
      expectStatus(await api.call('GET', '/readyz'), 200);
    });
  });
}

/**
 * Streams `prefix` and filler, without Content-Length, until just past `limit` bytes,
 * and then waits: the server must refuse the body from what it has read. Each write
 * waits until the socket took it, so none is still pending when the server closes the
 * connection; a pending one would fail with EPIPE before the answer could be read.
 */
function streamPastLimit(prefix: string, limit: number): (req: ClientRequest, answered: () => boolean) => Promise<void> {
  const chunk = 'x'.repeat(64 * 1024);
  return async (req, answered) => {
    const write = (data: string) => new Promise<void>((done, fail) => req.write(data, (error) => (error ? fail(error) : done())));
    await write(prefix);
    for (let sent = prefix.length; sent <= limit && !answered(); sent += chunk.length) await write(chunk);
  };
}

// ---------------------------------------------------------------------------------
// The fuzzer: a valid request for a random route, then a few random mutations.

interface FuzzRequest {
  method: string;
  path: string;
  options: CallOptions;
}

const pick = <T>(random: Random, items: readonly T[]): T => items[random.int(items.length)] as T;
const chance = (random: Random, probability: number): boolean => random.int(1000) < probability * 1000;

const ALPHABET = ['a', 'Z', '0', ' ', '"', "'", '\\', '/', ',', '{', '}', '[', ']', ':', '=', '+', '-', '@', '\n', '\r', '\t', '\u0000', '\u001f', '\u007f', 'é', 'ß', '€', '🎁', '\u202e', '\ud800', '<', '>', '&', '%', '\u2028'];

function junkString(random: Random): string {
  const length = pick(random, [0, 1, 2, 5, 20, 101, 300, 2001, 5000]);
  let text = '';
  for (let i = 0; i < length; i++) text += pick(random, ALPHABET);
  return text;
}

function junkValue(random: Random, depth = 0): unknown {
  switch (random.int(depth > 3 ? 5 : 8)) {
    case 0:
      return junkString(random);
    case 1:
      return pick(random, [0, -1, 1.5, -0.001, 1e308, -1e308, 2 ** 53 + 1, 1_000_000.01, 0.1 + 0.2]);
    case 2:
      return pick(random, [true, false]);
    case 3:
      return null;
    case 4:
      return pick(random, ['2026-02-30', 'EUR', 'eur', 'a@b.c', randomUUID(), '']);
    case 5:
      return Array.from({ length: random.int(4) }, () => junkValue(random, depth + 1));
    case 6:
      return Object.fromEntries(Array.from({ length: random.int(4) }, () => [junkString(random).slice(0, 10), junkValue(random, depth + 1)]));
    default: {
      let nested: unknown = 'deep';
      for (let i = 0; i < 200; i++) nested = [nested];
      return nested;
    }
  }
}

/** Every object or array inside `value`, with `value` itself first. */
function containers(value: unknown): (Record<string, unknown> | unknown[])[] {
  if (value === null || typeof value !== 'object') return [];
  const inner = Array.isArray(value) ? value : Object.values(value);
  return [value as Record<string, unknown> | unknown[], ...inner.flatMap(containers)];
}

function mutateValue(random: Random, body: unknown): unknown {
  if (chance(random, 0.05)) return junkValue(random);
  const targets = containers(body);
  if (targets.length === 0) return body;
  const container = pick(random, targets);
  const keys = Object.keys(container);
  const key = keys.length > 0 ? pick(random, keys) : '0';
  const record = container as Record<string, unknown>;
  switch (random.int(3)) {
    case 0:
      if (Array.isArray(container)) container.splice(Number(key), 1);
      else delete record[key];
      break;
    case 1:
      record[Array.isArray(container) ? key : pick(random, ['extra', 'id', 'status', '__proto__', 'constructor', junkString(random).slice(0, 8)])] = junkValue(random);
      break;
    default:
      record[key] = junkValue(random);
  }
  return body;
}

function mutateText(random: Random, text: string): string {
  const at = random.int(text.length + 1);
  switch (random.int(3)) {
    case 0:
      return text.slice(0, at);
    case 1:
      return text.slice(0, at) + pick(random, ALPHABET) + text.slice(at);
    default:
      return text.slice(0, at) + text.slice(at + 1);
  }
}

function fuzzRequest(random: Random, { organizer, members }: { organizer: Organizer; members: Member[] }, iteration: number): FuzzRequest {
  const someone = pick(random, members);
  const ids = members.map(({ participant }) => participant.id);
  const routes: (() => { method: string; path: string; token?: string; body: unknown; csv?: boolean })[] = [
    () => ({ method: 'POST', path: '/api/v1/exchanges', body: { name: 'Fuzz', budget: { amount: 5, currency: 'USD' }, exchangeDate: '2026-12-24', rules: { singleCycle: false } } }),
    () => ({ method: 'POST', path: exchangePath(organizer.id, '/participants'), token: organizer.organizerToken, body: person('Fuzz add', iteration, 'wish') }),
    () => ({ method: 'POST', path: exchangePath(organizer.id, '/join'), body: { inviteCode: organizer.inviteCode, ...person('Fuzz join', iteration) } }),
    () => ({
      method: 'PUT',
      path: exchangePath(organizer.id, '/exclusions'),
      token: organizer.organizerToken,
      body: { exclusions: [{ giverId: pick(random, ids), receiverId: pick(random, ids) }] },
    }),
    () => ({ method: 'PUT', path: '/api/v1/me/wishlist', token: someone.participantToken, body: { wishlist: `Fuzz wish ${iteration}` } }),
    () => ({
      method: 'POST',
      path: exchangePath(organizer.id, '/participants.csv'),
      token: organizer.organizerToken,
      csv: true,
      body: participantsCsv(csvRows([person('Fuzz csv', iteration), person('Fuzz csv b', iteration)])),
    }),
  ];
  // The draw ends the exchange's open phase, so it comes up rarely.
  if (chance(random, 0.01)) routes.push(() => ({ method: 'POST', path: exchangePath(organizer.id, '/draw'), token: organizer.organizerToken, body: {} }));
  const route = pick(random, routes)();

  let text: string;
  if (route.csv) {
    text = route.body as string;
    for (let i = 0; i <= random.int(3); i++) text = mutateText(random, text);
  } else {
    let body = route.body;
    for (let i = 0; i <= random.int(3); i++) body = mutateValue(random, body);
    text = JSON.stringify(body) ?? '';
    if (chance(random, 0.25)) text = mutateText(random, text);
  }

  const headers: Record<string, string> = {};
  if (route.token !== undefined && !chance(random, 0.05)) headers.authorization = `Bearer ${chance(random, 0.05) ? mutateText(random, route.token) : route.token}`;
  if (chance(random, 0.1)) headers['idempotency-key'] = pick(random, ['', ' ', 'x'.repeat(300), 'ok-key', `key-${iteration}`, 'tab\tkey']);
  const contentType = chance(random, 0.1)
    ? pick(random, ['text/plain', 'application/json', 'text/csv', 'application/json; charset=utf-16', 'application/problem+json', ''])
    : route.csv
      ? 'text/csv'
      : 'application/json';
  if (contentType !== '') headers['content-type'] = contentType;
  return { method: route.method, path: route.path, options: { headers, body: text } };
}

function describeBody(options: CallOptions): string {
  const body = String(options.body ?? '');
  return `${JSON.stringify(options.headers)} ${JSON.stringify(body.length > 300 ? `${body.slice(0, 300)}...` : body)}`;
}
