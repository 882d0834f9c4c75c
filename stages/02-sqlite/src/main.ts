/**
 * Stage 02: SQLite. One process, one database file in WAL mode, indexed lookups,
 * transactions and versioned schema migrations. Same HTTP app as every stage.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { z } from 'zod';
import { createApp, instrumentStore, readConfig, serve, serverEnv } from '@santa/http';
import { openSqliteStore } from '@santa/store-sqlite';

const config = readConfig({
  ...serverEnv,
  DATA_DIR: z.string().min(1).default('data/02-sqlite'),
});
const logger = pino({ level: config.LOG_LEVEL }, pino.destination(2));
const registry = new Registry();

mkdirSync(config.DATA_DIR, { recursive: true });
const store = instrumentStore(openSqliteStore({ path: join(config.DATA_DIR, 'santa.sqlite') }), registry);

const app = createApp({ store, logger, registry, stageName: '02-sqlite' });
const { url } = await serve(app, {
  host: config.HOST,
  port: config.PORT,
  logger,
  shutdownTimeoutMs: config.SHUTDOWN_TIMEOUT_MS,
  onShutdown: () => store.close(),
});
process.stdout.write(`ready ${url}\n`);
