import { afterEach, describe, expect, it } from 'vitest';
import { hashSecret } from '@santa/domain';
import { freePort } from '@santa/services';
import { createMemoryStore } from '@santa/store-memory';
import { startOutboxWorker, type OutboxWorker } from './outbox-worker';
import { countingMetrics, drawnExchange, eventually, linkTokenOf } from './test-support';
import { startSmtpSink, type SmtpSink } from './testing';

const PUBLIC_URL = 'http://santa.test';
const FROM = 'Secret Santa <santa@santa.test>';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Workers first: a sink waits for open SMTP connections when it closes.
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

function worker(options: Parameters<typeof startOutboxWorker>[0]): OutboxWorker {
  const started = startOutboxWorker({ pollIntervalMs: 50, ...options });
  cleanup.push(() => started.stop());
  return started;
}

async function sink(listening = true): Promise<SmtpSink> {
  const started = await startSmtpSink({ port: await freePort(), listening });
  cleanup.unshift(() => started.close());
  return started;
}

describe('OutboxWorker', () => {
  it('sends one e-mail per participant after a draw, each with a private link that opens their own view', async () => {
    const store = createMemoryStore();
    const smtp = await sink();
    const participants = await drawnExchange(store, 5);
    worker({ store, smtpUrl: smtp.url, from: FROM, publicUrl: `${PUBLIC_URL}/` });

    const received = await smtp.waitForMessages(participants.length);
    await eventually(async () => (await store.countOutboxMessages()).pending === 0);
    expect(received.map(({ to }) => to).flat().sort()).toEqual(participants.map(({ email }) => email).sort());
    for (const mail of received) {
      expect(mail.from).toBe('santa@santa.test');
      expect(mail.subject).toMatch(/^Your Secret Santa for /);
      expect(mail.link).toMatch(/^http:\/\/santa\.test\/me#token=sp_/);
      const view = await store.getMeView(hashSecret(linkTokenOf(mail)));
      expect(view?.participant.email).toBe(mail.to[0]);
      expect(view?.giftee).not.toBeNull();
      expect(mail.readable).not.toContain(view?.giftee?.name ?? 'no giftee');
    }
  });

  it('sends nothing while the SMTP server is down, then every message once after it comes back', async () => {
    const store = createMemoryStore();
    const smtp = await sink(false);
    const metrics = countingMetrics();
    const participants = await drawnExchange(store, 4);
    worker({
      store,
      smtpUrl: smtp.url,
      from: FROM,
      publicUrl: PUBLIC_URL,
      metrics,
      retryAt: (_attempts, failedAt) => new Date(Date.parse(failedAt) + 100).toISOString(),
    });

    await eventually(() => metrics.failedCount >= participants.length * 2);
    expect(smtp.received).toHaveLength(0);
    expect(await store.countOutboxMessages()).toEqual({ pending: participants.length, failed: 0 });

    await smtp.listen();
    await smtp.waitForMessages(participants.length);
    await eventually(async () => (await store.countOutboxMessages()).pending === 0);
    // Retries keep coming every 100 ms while anything is left: a short wait shows none is sent twice.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(smtp.received.map(({ to }) => to).flat().sort()).toEqual(participants.map(({ email }) => email).sort());
    expect(metrics.sentCount).toBe(participants.length);
    expect(metrics.finalCount).toBe(0);
    // The links of the failed attempts were removed; the one that was sent works.
    for (const mail of smtp.received) expect(await store.getMeView(hashSecret(linkTokenOf(mail)))).not.toBeNull();
  });

  it('delivers each message once with two workers over one store', async () => {
    const store = createMemoryStore();
    const smtp = await sink();
    const participants = await drawnExchange(store, 12);
    const options = { store, smtpUrl: smtp.url, from: FROM, publicUrl: PUBLIC_URL, concurrency: 3 };
    const first = countingMetrics();
    const second = countingMetrics();
    worker({ ...options, metrics: first });
    worker({ ...options, metrics: second });

    await smtp.waitForMessages(participants.length);
    await eventually(async () => (await store.countOutboxMessages()).pending === 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(smtp.received.map(({ to }) => to).flat().sort()).toEqual(participants.map(({ email }) => email).sort());
    expect(first.sentCount + second.sentCount).toBe(participants.length);
  });

  it('wakes up on request instead of waiting for the next poll', async () => {
    const store = createMemoryStore();
    const smtp = await sink();
    const started = worker({ store, smtpUrl: smtp.url, from: FROM, publicUrl: PUBLIC_URL, pollIntervalMs: 60_000 });
    // Let the first (empty) claim pass, so the worker sleeps.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const participants = await drawnExchange(store, 3);
    started.wake();
    await smtp.waitForMessages(participants.length, 5_000);
  });

  it('finishes the sends in flight when stopped, and claims nothing after', async () => {
    const store = createMemoryStore();
    const smtp = await sink();
    const participants = await drawnExchange(store, 3);
    const metrics = countingMetrics();
    const started = startOutboxWorker({ store, smtpUrl: smtp.url, from: FROM, publicUrl: PUBLIC_URL, metrics });
    await eventually(async () => (await store.countOutboxMessages()).pending < participants.length || metrics.sentCount > 0);
    await started.stop();
    const sent = metrics.sentCount;
    expect(smtp.received).toHaveLength(sent);
    // Whatever was claimed was sent and recorded: nothing is left under a lease.
    expect((await store.countOutboxMessages()).pending).toBe(participants.length - sent);
  });
});
