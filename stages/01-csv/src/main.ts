/**
 * Stage 01: CSV files. One process; every request parses the files it needs, and
 * every write rewrites a file atomically under one writer lock. Same HTTP app as
 * every stage.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createApp, createOutboxMetrics, instrumentStore, mailEnv, readConfig, serve, serverEnv } from '@santa/http';
import { startConfiguredOutbox, type OutboxWorker } from '@santa/mail';
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
outbox = startConfiguredOutbox(config, { store, logger, metrics: createOutboxMetrics(registry, store), serverUrl: url });
process.stdout.write(`ready ${url}\n`);
