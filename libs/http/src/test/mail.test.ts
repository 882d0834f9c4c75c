import { afterEach, describe, expect, it } from 'vitest';
import { startOutboxWorker, type OutboxWorker } from '@santa/mail';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from '@santa/mail/testing';
import { freePort } from '@santa/services';
import { createOutboxMetrics } from '../outbox-metrics';
import { addParticipants, createExchange, startHarness, type Harness } from './harness';

/**
 * E-mail end to end: the app over the in-memory store, an outbox worker sending to a
 * real SMTP server (smtp-server) in this process, and the links in the e-mails opened
 * through the API.
 */

interface Setup {
  harness: Harness;
  smtp: SmtpSink;
  worker: OutboxWorker;
}

let running: Setup | undefined;
afterEach(async () => {
  if (!running) return;
  await running.worker.stop();
  await running.harness.close();
  await running.smtp.close();
  running = undefined;
});

async function setUp(options: { smtpListening?: boolean; retryAfterMs?: number } = {}): Promise<Setup> {
  const waking: { worker?: OutboxWorker } = {};
  const harness = await startHarness({ onMessagesQueued: () => waking.worker?.wake() });
  const smtp = await startSmtpSink({ port: await freePort(), listening: options.smtpListening ?? true });
  const { retryAfterMs } = options;
  const worker = startOutboxWorker({
    store: harness.store,
    smtpUrl: smtp.url,
    from: 'Secret Santa <santa@santa.test>',
    publicUrl: harness.url,
    metrics: createOutboxMetrics(harness.registry, harness.store),
    // The poll is slow on purpose: the draw and the reminders wake the worker.
    pollIntervalMs: retryAfterMs === undefined ? 5_000 : 50,
    ...(retryAfterMs !== undefined && {
      retryAt: (_attempts: number, failedAt: string) => new Date(Date.parse(failedAt) + retryAfterMs).toISOString(),
    }),
  });
  waking.worker = worker;
  running = { harness, smtp, worker };
  return running;
}

function tokenOf(mail: ReceivedMail): string {
  return decodeURIComponent(mail.link?.split('#token=')[1] ?? '');
}

const recipients = (mails: ReceivedMail[]) => mails.flatMap(({ to }) => to).sort();
const emailsOf = (names: string[]) => names.map((name) => `${name.toLowerCase()}@example.com`).sort();

async function metricsText(harness: Harness): Promise<string> {
  return (await harness.call('GET', '/metrics')).text;
}

describe('e-mail after the draw', () => {
  it('sends exactly one e-mail per participant, whose link opens GET /me with the giftee', async () => {
    const { harness, smtp } = await setUp();
    const organizer = await createExchange(harness, { name: 'Office', budget: { amount: 20, currency: 'EUR' } });
    const names = ['Ann', 'Bob', 'Cy', 'Dan'];
    await addParticipants(harness, organizer, names);
    expect((await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/draw`, { token: organizer.organizerToken })).status).toBe(200);

    const received = await smtp.waitForMessages(names.length, 5_000);
    expect(recipients(received)).toEqual(emailsOf(names));
    const giftees: string[] = [];
    for (const mail of received) {
      expect(mail.subject).toBe('Your Secret Santa for Office');
      expect(mail.text).toContain('Budget: 20 EUR.');
      expect(mail.link?.startsWith(`${harness.url}/me#token=`)).toBe(true);
      const me = await harness.call('GET', '/api/v1/me', { token: tokenOf(mail) });
      expect(me.status).toBe(200);
      expect(me.body.participant.email).toBe(mail.to[0]);
      expect(me.body.giftee).not.toBeNull();
      // The message greets its reader by name and never names the giftee; only the link tells.
      expect(mail.readable).toContain(`Hi ${me.body.participant.name},`);
      expect(mail.readable).not.toContain(me.body.giftee.name);
      giftees.push(me.body.giftee.name);
      // The link is a full credential of its participant: it writes the wishlist too.
      const wishlist = await harness.call('PUT', '/api/v1/me/wishlist', { token: tokenOf(mail), json: { wishlist: 'Socks' } });
      expect(wishlist.body.participant.email).toBe(mail.to[0]);
    }
    expect(giftees.sort()).toEqual([...names].sort());

    const metrics = await metricsText(harness);
    expect(metrics).toContain('santa_mail_sent_total{kind="drawn"} 4');
    expect(metrics).toContain('santa_outbox_messages{status="pending"} 0');
    for (const mail of received) expect(harness.logText()).not.toContain(tokenOf(mail));
  });

  it('sends nothing while the SMTP server is down, then every e-mail once when it is back', async () => {
    const { harness, smtp } = await setUp({ smtpListening: false, retryAfterMs: 100 });
    const organizer = await createExchange(harness);
    const names = ['Ann', 'Bob', 'Cy'];
    await addParticipants(harness, organizer, names);
    // The draw does not wait for e-mail, and a mail server that is down does not fail it.
    expect((await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/draw`, { token: organizer.organizerToken })).status).toBe(200);

    const deadline = Date.now() + 5_000;
    while (!/santa_mail_failed_total\{kind="drawn",final="false"\} ([3-9]|\d\d)/.test(await metricsText(harness))) {
      if (Date.now() > deadline) throw new Error('the worker never tried to send');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await metricsText(harness)).toContain('santa_outbox_messages{status="pending"} 3');

    await smtp.listen();
    await smtp.waitForMessages(names.length, 5_000);
    // Failed messages are retried every 100 ms: a pause long enough for several retries shows none is sent twice.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recipients(smtp.received)).toEqual(emailsOf(names));
    for (const mail of smtp.received) {
      expect((await harness.call('GET', '/api/v1/me', { token: tokenOf(mail) })).body.giftee).not.toBeNull();
    }
    expect(await metricsText(harness)).toContain('santa_outbox_messages{status="pending"} 0');
  });
});

describe('POST /api/v1/exchanges/:id/reminders', () => {
  const remindersPath = (exchangeId: string) => `/api/v1/exchanges/${exchangeId}/reminders`;

  it('e-mails the participants whose wishlist is empty, once within the hour', async () => {
    const { harness, smtp } = await setUp();
    const organizer = await createExchange(harness, { name: 'Family' });
    const members = await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy', 'Dan']);
    for (const member of members.slice(0, 2)) {
      await harness.call('PUT', '/api/v1/me/wishlist', { token: member.token, json: { wishlist: 'Books' } });
    }

    const queued = await harness.call('POST', remindersPath(organizer.exchangeId), {
      token: organizer.organizerToken,
      headers: { 'idempotency-key': 'remind-1' },
    });
    expect(queued.status).toBe(202);
    expect(queued.body).toEqual({ queued: 2 });
    const replayed = await harness.call('POST', remindersPath(organizer.exchangeId), {
      token: organizer.organizerToken,
      headers: { 'idempotency-key': 'remind-1' },
    });
    expect(replayed.status).toBe(202);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual({ queued: 2 });
    const again = await harness.call('POST', remindersPath(organizer.exchangeId), { token: organizer.organizerToken, json: {} });
    expect(again.body).toEqual({ queued: 0 });

    const received = await smtp.waitForMessages(2, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(recipients(smtp.received)).toEqual(emailsOf(['Cy', 'Dan']));
    for (const mail of received) {
      expect(mail.subject).toBe('Add your wishlist for Family');
      const me = await harness.call('GET', '/api/v1/me', { token: tokenOf(mail) });
      expect(me.body.participant.email).toBe(mail.to[0]);
      expect(me.body.giftee).toBeNull();
    }
  });

  it('answers problem documents for a missing or foreign token and for a body that is not empty', async () => {
    const { harness } = await setUp();
    const organizer = await createExchange(harness);
    const other = await createExchange(harness);

    const anonymous = await harness.call('POST', remindersPath(organizer.exchangeId));
    expect(anonymous.status).toBe(401);
    const foreign = await harness.call('POST', remindersPath(organizer.exchangeId), { token: other.organizerToken });
    expect(foreign.status).toBe(404);
    const extra = await harness.call('POST', remindersPath(organizer.exchangeId), { token: organizer.organizerToken, json: { all: true } });
    expect(extra.status).toBe(422);
    const text = await harness.call('POST', remindersPath(organizer.exchangeId), {
      token: organizer.organizerToken,
      body: 'please',
      contentType: 'text/plain',
    });
    expect(text.status).toBe(415);
    const get = await harness.call('GET', remindersPath(organizer.exchangeId), { token: organizer.organizerToken });
    expect(get.status).toBe(405);
    expect(await harness.store.countOutboxMessages()).toEqual({ pending: 0, failed: 0 });
  });
});
