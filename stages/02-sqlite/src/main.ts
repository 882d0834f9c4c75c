/**
 * Stage 02: SQLite. One process, one database file in WAL mode, indexed lookups,
 * transactions and versioned schema migrations. Same HTTP app as every stage.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp, instrumentStore, serve } from '@santa/http';
import { openSqliteStore } from '@santa/store-sqlite';
import { readStageConfig } from './config';

const config = readStageConfig(process.env);
const logger = pino({ level: config.logLevel }, pino.destination(2));
const registry = new Registry();

mkdirSync(config.dataDir, { recursive: true });
const store = instrumentStore(await openSqliteStore({ path: join(config.dataDir, 'santa.sqlite') }), registry);

const app = createApp({ store, logger, registry, stageName: '02-sqlite' });
const { url } = await serve(app, {
  host: config.host,
  port: config.port,
  logger,
  shutdownTimeoutMs: config.shutdownTimeoutMs,
  onShutdown: () => store.close(),
});
process.stdout.write(`ready ${url}\n`);
