/**
 * Stage 02: SQLite. One process, one database file in WAL mode, indexed lookups,
 * transactions and versioned schema migrations. Same HTTP app as every stage.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createApp, createOutboxMetrics, instrumentStore, mailEnv, readConfig, serve, serverEnv } from '@santa/http';
import { startConfiguredOutbox, type OutboxWorker } from '@santa/mail';
import { openSqliteStore } from '@santa/store-sqlite';

const config = readConfig({
  ...serverEnv,
  ...mailEnv,
  DATA_DIR: z.string().min(1).default('data/02-sqlite'),
});
const logger = pino({ level: config.LOG_LEVEL }, pino.destination(2));
const registry = new Registry();

mkdirSync(config.DATA_DIR, { recursive: true });
const store = instrumentStore(openSqliteStore({ path: join(config.DATA_DIR, 'santa.sqlite') }), registry);

// Sends the outbox (e-mails after a draw, reminders) when SMTP is configured.
let outbox: OutboxWorker | undefined;
const app = createApp({ store, logger, registry, stageName: '02-sqlite', onMessagesQueued: () => outbox?.wake() });
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
