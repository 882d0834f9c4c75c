/**
 * "No acknowledged write is ever lost": not under concurrent writers, not when the
 * stage is killed with SIGKILL mid-load, not when it is stopped while a write is in
 * flight. An acknowledged write is one whose success response the client received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Participant } from '@santa/domain';
import {
  NetworkError,
  csvRows,
  exchangePath,
  expectStatus,
  fulfilled,
  makeDataDir,
  participantsCsv,
  person,
  removeDataDir,
  runConcurrently,
  startStage,
  type Member,
  type Organizer,
  type StageClient,
  type StageProcess,
} from './harness';
import { STAGES } from './stages';

/** Requests in flight at once: enough to make writers contend, few enough for 2 cores. */
const CONCURRENCY = 50;
const WRITES = 200;
/** An idle stage has nothing to drain: it should be gone well within this. */
const STOP_AFTER_SIGTERM_MS = 15_000;

for (const stage of STAGES) durabilitySuite(stage);

function durabilitySuite(stageName: string): void {
  describe(`${stageName}: no acknowledged write is lost`, () => {
    let dataDir = '';
    let stage: StageProcess | undefined;
    const api = (): StageClient => (stage as StageProcess).client;

    /** The first test's exchange, checked again after every restart. */
    let crowd: { organizer: Organizer; wishlistById: Map<string, string> } | undefined;

    beforeAll(async () => {
      dataDir = await makeDataDir(stageName);
      stage = await startStage(stageName, dataDir);
    });

    afterAll(async () => {
      try {
        await stage?.stop();
      } finally {
        await removeDataDir(dataDir);
      }
    });

    /** Every participant of the first test, with the wishlist they were acknowledged to have. */
    async function expectCrowdIntact(): Promise<void> {
      if (crowd === undefined) throw new Error('the concurrent-writers test did not run');
      const listed = await api().allParticipants(crowd.organizer);
      expect(new Map(listed.map(({ id, wishlist }) => [id, wishlist]))).toEqual(crowd.wishlistById);
      expect(await api().dashboard(crowd.organizer)).toMatchObject({ participantCount: WRITES, wishlistCount: WRITES });
    }

    it(`keeps all of ${WRITES} concurrent joins and ${WRITES} concurrent wishlist updates`, async () => {
      const organizer = await api().createExchange({ name: 'Crowd' });
      const members = fulfilled(
        await runConcurrently(range(WRITES), CONCURRENCY, (i) => api().join(organizer, person('Crowd', i))),
      );
      const updated = fulfilled(
        await runConcurrently(members, CONCURRENCY, (member, i) => api().updateWishlist(member.participantToken, `Crowd wish ${i}`)),
      );
      updated.forEach((participant, i) => expect(participant).toEqual({ ...members[i]?.participant, wishlist: `Crowd wish ${i}` }));

      const wishlistById = new Map(updated.map(({ id, wishlist }) => [id, wishlist]));
      expect(wishlistById.size).toBe(WRITES);
      crowd = { organizer, wishlistById };
      await expectCrowdIntact();
      const views = fulfilled(await runConcurrently(members, 10, (member) => api().me(member.participantToken)));
      views.forEach((view, i) => expect(view.participant.wishlist).toBe(`Crowd wish ${i}`));
    });

    it('keeps every acknowledged write across a SIGKILL under load, and opens cleanly after it', async () => {
      const organizer = await api().createExchange({ name: 'Storm' });
      const pool = await api().importCsv(organizer, participantsCsv(csvRows(range(WRITES).map((i) => person('Pool', i)))));

      // Joins and wishlist updates interleaved; each pool member's wishlist changes at most once.
      type Outcome = 'acknowledged' | 'unacknowledged' | 'not sent';
      interface Write {
        kind: 'join' | 'wishlist';
        index: number;
        outcome?: Outcome;
        joined?: Member;
      }
      const writes: Write[] = range(WRITES).flatMap((index): Write[] => [
        { kind: 'join', index },
        { kind: 'wishlist', index },
      ]);
      const joiner = (index: number) => person('Storm', index, `Storm joiner ${index}`);
      const stormWish = (index: number) => `Storm wish ${index}`;

      const killAfter = WRITES / 2;
      const crashed = stage as StageProcess;
      let acknowledged = 0;
      let inFlight = 0;
      let othersInFlightAtKill = -1;
      let killed = false;

      const results = await runConcurrently(writes, CONCURRENCY, async (write) => {
        if (killed) {
          write.outcome = 'not sent';
          return;
        }
        inFlight++;
        try {
          if (write.kind === 'join') write.joined = await crashed.client.join(organizer, joiner(write.index));
          else await crashed.client.updateWishlist((pool[write.index] as Member).participantToken, stormWish(write.index));
          write.outcome = 'acknowledged';
          if (++acknowledged === killAfter) {
            othersInFlightAtKill = inFlight - 1;
            crashed.killNow();
            killed = true;
          }
        } catch (error) {
          // Before the crash every write must succeed; after it, only a lost connection is expected.
          if (!(killed && error instanceof NetworkError)) throw error;
          write.outcome = 'unacknowledged';
        } finally {
          inFlight--;
        }
      });
      fulfilled(results);
      expect(killed).toBe(true);
      expect(othersInFlightAtKill, 'writes were in flight when the stage was killed').toBeGreaterThan(0);
      await crashed.exited();

      stage = await startStage(stageName, dataDir);

      const listed = await api().allParticipants(organizer);
      const byEmail = new Map(listed.map((participant) => [participant.email, participant]));
      expect(byEmail.size, 'no participant is listed twice').toBe(listed.length);
      expect(new Set(listed.map(({ id }) => id)).size).toBe(listed.length);

      const attemptedEmails = new Set([...pool.map(({ participant }) => participant.email), ...writes.filter((w) => w.kind === 'join' && w.outcome !== 'not sent').map((w) => joiner(w.index).email)]);
      for (const participant of listed) expect(attemptedEmails, `${participant.email} was never sent`).toContain(participant.email);

      const lost: string[] = [];
      for (const write of writes) {
        if (write.kind === 'join') {
          const found = byEmail.get(joiner(write.index).email);
          if (write.outcome === 'acknowledged') {
            if (found === undefined) lost.push(`join ${write.index}`);
            else expect(found).toEqual(write.joined?.participant);
          }
          if (write.outcome === 'not sent') expect(found).toBeUndefined();
        } else {
          const found = byEmail.get((pool[write.index] as Member).participant.email) as Participant;
          if (write.outcome === 'acknowledged' && found.wishlist !== stormWish(write.index)) lost.push(`wishlist ${write.index}`);
          if (write.outcome === 'unacknowledged') expect(['', stormWish(write.index)]).toContain(found.wishlist);
          if (write.outcome === 'not sent') expect(found.wishlist).toBe('');
        }
      }
      expect(lost, 'acknowledged writes missing after the restart').toEqual([]);

      // The counts agree with the rows, and every acknowledged participant's token still works.
      expect(await api().dashboard(organizer)).toMatchObject({
        participantCount: listed.length,
        wishlistCount: listed.filter(({ wishlist }) => wishlist !== '').length,
        exclusionCount: 0,
      });
      const joined = writes.filter((write) => write.outcome === 'acknowledged' && write.joined !== undefined).map((write) => write.joined as Member);
      const views = fulfilled(await runConcurrently(joined, 10, (member) => api().me(member.participantToken)));
      views.forEach((view, i) => expect(view.participant).toEqual(joined[i]?.participant));
      await expectCrowdIntact();

      // Writes work again, up to a draw.
      const late = await api().join(organizer, person('After the crash', 1));
      await api().updateWishlist(late.participantToken, 'Still here');
      const [first, second] = listed as [Participant, Participant];
      await api().replaceExclusions(organizer, [{ giverId: first.id, receiverId: second.id }]);
      expect((await api().draw(organizer)).status).toBe('drawn');
      expect((await api().me(late.participantToken)).giftee).not.toBeNull();
    });

    it('finishes a write in flight when stopped with SIGTERM, and keeps it', async () => {
      const organizer = await api().createExchange({ name: 'Last orders' });
      const rows = csvRows(range(50).map((i) => person('Drain', i)));
      const body = Buffer.from(participantsCsv(rows));
      const stopping = stage as StageProcess;

      // `Expect: 100-continue` makes the server say when it has the request in hand;
      // the body follows only once the stage is shutting down.
      const headersReceived = Promise.withResolvers<void>();
      const shuttingDown = Promise.withResolvers<void>();
      const reply = stopping.client.raw(
        'POST',
        exchangePath(organizer.id, '/participants.csv'),
        {
          authorization: `Bearer ${organizer.organizerToken}`,
          'content-type': 'text/csv',
          'content-length': body.length,
          expect: '100-continue',
        },
        async (req) => {
          req.on('continue', () => headersReceived.resolve());
          req.flushHeaders();
          await shuttingDown.promise;
          req.end(body);
        },
      );
      await headersReceived.promise;
      stopping.terminateNow();
      await untilNotReady(stopping.client);
      shuttingDown.resolve();

      const imported = expectStatus<{ created: number; participants: Member[] }>(await reply, 201).body;
      expect(imported.created).toBe(rows.length);
      await stopping.exited();

      stage = await startStage(stageName, dataDir);
      expect((await api().allParticipants(organizer)).map(({ email }) => email)).toEqual(rows.map(([, email]) => email));
      await expectCrowdIntact();
    });

    it('exits 0 when SIGTERM reaches npm alone, as `docker stop` sends it to the first process', async () => {
      const stopping = stage as StageProcess;
      stopping.terminateNpm();
      // npm passes SIGTERM to the shell running its script; unless that shell has exec'd
      // the stage runner, the runner never hears of it and npm ends by the signal.
      expect(await stopping.npmExited(), 'how `npm run stage` ended').toEqual({ code: 0, signal: null });
      await stopping.exited(STOP_AFTER_SIGTERM_MS);
    });
  });
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** Resolves once the stage answers /readyz with 503 or no longer accepts connections. */
async function untilNotReady(client: StageClient): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    try {
      if ((await client.call('GET', '/readyz')).status === 503) return;
    } catch (error) {
      if (error instanceof NetworkError) return;
      throw error;
    }
    await new Promise((done) => setTimeout(done, 20));
  }
  throw new Error('the stage still says it is ready 10 s after SIGTERM');
}
