import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort, startPostgres, type RunningPostgres } from '@santa/services';
import { openPostgresStore, type PostgresStore } from '@santa/store-postgres';
import { startOutboxWorker } from './outbox-worker';
import { countingMetrics, drawnExchange, eventually, linkTokenHashOf } from './test-support';
import { startSmtpSink, type SmtpSink } from './testing';

/**
 * Replicas over one database, as in 05-replicas: two workers, each with its own store
 * and connection pool, claim from one PostgreSQL outbox concurrently.
 */

let server: RunningPostgres;
const stores: PostgresStore[] = [];
let smtp: SmtpSink;

beforeAll(async () => {
  server = await startPostgres();
  smtp = await startSmtpSink({ port: await freePort() });
});

afterAll(async () => {
  for (const store of stores) await store.close();
  await smtp?.close();
  await server?.stop();
});

it('two workers with a store each on one PostgreSQL database send each message exactly once', async () => {
  for (let i = 0; i < 2; i++) stores.push(await openPostgresStore({ connectionString: server.url, poolSize: 3 }));
  const [first, second] = stores as [PostgresStore, PostgresStore];
  const participants = [...(await drawnExchange(first, 20)), ...(await drawnExchange(second, 20))];

  const options = { smtpUrl: smtp.url, from: 'santa@santa.test', publicUrl: 'http://santa.test', concurrency: 4, pollIntervalMs: 20 };
  const metrics = [countingMetrics(), countingMetrics()];
  const workers = [
    startOutboxWorker({ ...options, store: first, metrics: metrics[0] }),
    startOutboxWorker({ ...options, store: second, metrics: metrics[1] }),
  ];
  try {
    await smtp.waitForMessages(participants.length, 20_000);
    await eventually(async () => (await first.countOutboxMessages()).pending === 0);
    await new Promise((resolve) => setTimeout(resolve, 300));
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }

  expect(smtp.received.flatMap(({ to }) => to).sort()).toEqual(participants.map(({ email }) => email).sort());
  // Both took part: the claims interleaved rather than one worker doing everything.
  expect(metrics.map(({ sentCount }) => sentCount > 0)).toEqual([true, true]);
  expect(metrics.reduce((sum, { sentCount }) => sum + sentCount, 0)).toBe(participants.length);
  for (const mail of smtp.received) {
    const view = await second.getMeView(linkTokenHashOf(mail));
    expect(view?.participant.email).toBe(mail.to[0]);
    expect(view?.giftee).not.toBeNull();
  }
});
