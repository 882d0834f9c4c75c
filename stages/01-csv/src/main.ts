/**
 * Stage 01: CSV files. One process; every request parses the files it needs, and
 * every write rewrites a file atomically under one writer lock. Same HTTP app as
 * every stage.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createApp, createOutboxMetrics, instrumentStore, mailEnv, readConfig, serve, serverEnv } from '@santa/http';
import { startOutboxWorker, type OutboxWorker } from '@santa/mail';
import { openCsvStore } from '@santa/store-csv';

const config = readConfig({
  ...serverEnv,
  ...mailEnv,
  DATA_DIR: z.string().min(1).default('data/01-csv'),
});
const logger = pino({ level: config.LOG_LEVEL }, pino.destination(2));
const registry = new Registry();

const store = instrumentStore(await openCsvStore({ dataDir: config.DATA_DIR }), registry);

// Sends the outbox (e-mails after a draw, reminders) when SMTP is configured.
let outbox: OutboxWorker | undefined;
const app = createApp({ store, logger, registry, stageName: '01-csv', onMessagesQueued: () => outbox?.wake() });
const { url } = await serve(app, {
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  onShutdown: async () => {
    await outbox?.stop();
    await store.close();
  },
});
if (config.SMTP_URL !== undefined) {
  outbox = startOutboxWorker({
    store,
    smtpUrl: config.SMTP_URL,
    from: config.MAIL_FROM,
    publicUrl: config.PUBLIC_URL ?? url,
    concurrency: config.MAIL_CONCURRENCY,
    logger,
    metrics: createOutboxMetrics(registry, store),
  });
}
process.stdout.write(`ready ${url}\n`);
