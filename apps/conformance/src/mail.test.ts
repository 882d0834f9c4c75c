/**
 * E-mail, against every stage started as users start it with SMTP_URL set: a real SMTP
 * server (smtp-server) in this process receives what the stage's outbox worker sends.
 * For 05-replicas every replica runs a worker over the one database: each message must
 * still arrive once.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '@santa/mail/testing';
import { freePort } from '@santa/services';
import {
  exchangePath,
  expectProblem,
  expectStatus,
  makeDataDir,
  person,
  removeDataDir,
  startStage,
  type Member,
  type Organizer,
  type StageClient,
  type StageProcess,
} from './harness';
import { STAGES } from './stages';

for (const stage of STAGES) mailSuite(stage);

function mailSuite(stageName: string): void {
  describe(`${stageName}: e-mail from the outbox`, () => {
    let stage: StageProcess | undefined;
    let smtp: SmtpSink | undefined;
    let dataDir = '';
    let api: StageClient;

    beforeAll(async () => {
      smtp = await startSmtpSink({ port: await freePort() });
      dataDir = await makeDataDir(stageName);
      stage = await startStage(stageName, dataDir, { SMTP_URL: smtp.url, MAIL_FROM: 'Secret Santa <santa@conformance.test>' });
      api = stage.client;
    });

    afterAll(async () => {
      try {
        await stage?.stop();
      } finally {
        await smtp?.close();
        await removeDataDir(dataDir);
      }
    });

    /** The e-mails to these members, once each has one; then a pause, so a duplicate would show. */
    async function mailsTo(members: Member[]): Promise<ReceivedMail[]> {
      const addresses = new Set(members.map(({ participant }) => participant.email));
      const to = () => (smtp as SmtpSink).received.filter((mail) => mail.to.some((address) => addresses.has(address)));
      const deadline = Date.now() + 15_000;
      while (to().length < members.length) {
        if (Date.now() > deadline) throw new Error(`expected ${members.length} e-mails, got ${to().length}; ${stage?.describe()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      const mails = to();
      expect(mails.flatMap((mail) => mail.to).sort()).toEqual([...addresses].sort());
      return mails;
    }

    const linkToken = (mail: ReceivedMail) => decodeURIComponent(mail.link?.split('#token=')[1] ?? '');

    async function exchangeWith(tag: string, count: number): Promise<{ organizer: Organizer; members: Member[] }> {
      const organizer = await api.createExchange({ name: `${tag} party` });
      const members: Member[] = [];
      for (let i = 0; i < count; i++) members.push(await api.addParticipant(organizer, person(`${tag}${stageName}`, i)));
      return { organizer, members };
    }

    it('sends each participant one e-mail after the draw, whose private link shows their giftee', async () => {
      const { organizer, members } = await exchangeWith('Drawn', 5);
      await api.draw(organizer);
      for (const mail of await mailsTo(members)) {
        expect(mail.subject).toBe('Your Secret Santa for Drawn party');
        // The address people open the stage at: for 05-replicas nginx, not the replica that sent it.
        expect(mail.link?.startsWith(`${stage?.url}/me#token=`), `${mail.link} leads to ${stage?.url}`).toBe(true);
        const me = await api.me(linkToken(mail));
        expect(me.participant.email).toBe(mail.to[0]);
        expect(me.giftee).not.toBeNull();
        // Only the link tells: the message itself never names the giftee.
        expect(mail.readable).not.toContain(me.giftee?.name);
      }
    });

    it('POST /reminders queues e-mails for empty wishlists only, once within the hour, idempotently', async () => {
      const { organizer, members } = await exchangeWith('Remind', 4);
      for (const member of members.slice(0, 2)) await api.updateWishlist(member.participantToken, 'A scarf');
      const path = exchangePath(organizer.id, '/reminders');
      const token = organizer.organizerToken;
      const idempotencyKey = `conformance-${randomUUID()}`;

      const first = expectStatus<{ queued: number }>(await api.call('POST', path, { token, idempotencyKey }), 202);
      expect(first.body).toEqual({ queued: 2 });
      const replay = await api.call('POST', path, { token, idempotencyKey });
      expect([replay.status, replay.text, replay.headers.get('idempotent-replayed')]).toEqual([202, first.text, 'true']);
      expect(expectStatus(await api.call('POST', path, { token, json: {} }), 202).body).toEqual({ queued: 0 });

      expectProblem(await api.call('POST', path), 401, 'unauthorized');
      const other = await api.createExchange();
      expectProblem(await api.call('POST', path, { token: other.organizerToken }), 404, 'not_found');
      expectProblem(await api.call('POST', path, { token, json: { everyone: true } }), 422, 'validation_failed');

      for (const mail of await mailsTo(members.slice(2))) {
        expect(mail.subject).toBe('Add your wishlist for Remind party');
        expect((await api.me(linkToken(mail))).participant.email).toBe(mail.to[0]);
      }
    });
  });
}
