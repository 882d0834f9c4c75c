/**
 * The ceiling: the same HTTP stack as every stage (`createApp`, the same logging and
 * metrics) over the in-memory store, with the comparison's dataset loaded at start.
 * No stage can serve faster than this on the same machine, so a stage's figures over
 * the ceiling's say how much its storage costs.
 *
 *   node --import tsx apps/compare/src/ceiling.ts [--port N] [--participants N] [--seed S] [--drawn-rate R]
 *
 * PORT, PARTICIPANTS, SEED and DRAWN_RATE in the environment work too; arguments win. Prints
 * `ready <url>` once the data is loaded and the server listens.
 */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { loadDataset } from '@santa/dataset';
import { createApp, instrumentStore, serve } from '@santa/http';
import { createMemoryStore } from '@santa/store-memory';
import { positiveInteger } from './args';
import { requireBulk } from './stores';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '0' },
    host: { type: 'string', default: process.env.HOST ?? '127.0.0.1' },
    participants: { type: 'string', default: process.env.PARTICIPANTS ?? '1000' },
    seed: { type: 'string', default: process.env.SEED ?? '1' },
    'drawn-rate': { type: 'string', default: process.env.DRAWN_RATE ?? '1' },
  },
});
const port = positiveInteger('port', values.port, 0, 65_535);
const participants = positiveInteger('participants', values.participants, 3, 10_000_000);
const seed = positiveInteger('seed', values.seed, 0, 2 ** 31 - 1);
const drawnRate = Number(values['drawn-rate']);
if (!(drawnRate >= 0 && drawnRate <= 1)) throw new Error(`--drawn-rate must be from 0 to 1, got "${values['drawn-rate']}"`);

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination(2));
const registry = new Registry();
const memory = createMemoryStore();
const loaded = await loadDataset(requireBulk(memory, 'memory'), { seed, participants, drawnRate });
logger.info({ participants, seed, seconds: loaded.seconds, rows: loaded.rows }, 'dataset loaded into memory');

const store = instrumentStore(memory, registry);
const app = createApp({ store, logger, registry, stageName: 'ceiling' });
const { url } = await serve(app, { host: values.host, port, logger, onShutdown: () => store.close() });
process.stdout.write(`ready ${url}\n`);
