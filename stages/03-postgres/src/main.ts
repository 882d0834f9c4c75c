/**
 * Stage 03: PostgreSQL. The app talks to a database server over a connection
 * pool; schema migrations run at start-up. Same HTTP app as every stage.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createApp, createOutboxMetrics, instrumentStore, mailEnv, readConfig, serve, serverEnv } from '@santa/http';
import { startConfiguredOutbox, type OutboxWorker } from '@santa/mail';
import { openPostgresStore } from '@santa/store-postgres';

const config = readConfig({
  ...serverEnv,
  ...mailEnv,
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  PG_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
});
const logger = pino({ level: config.LOG_LEVEL }, pino.destination(2));
const registry = new Registry();

const store = instrumentStore(
  await openPostgresStore({
    connectionString: config.DATABASE_URL,
    poolSize: config.PG_POOL_SIZE,
    statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost'),
  }),
  registry,
);

// Sends the outbox (e-mails after a draw, reminders) when SMTP is configured.
let outbox: OutboxWorker | undefined;
const app = createApp({ store, logger, registry, stageName: '03-postgres', onMessagesQueued: () => outbox?.wake() });
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
