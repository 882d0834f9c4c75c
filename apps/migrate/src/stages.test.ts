import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type RunningPostgres } from '@santa/services';
import type { Location } from './locations';
import { migrate } from './migrate';
import { createDatabase, runCli, startStage, type RunningStage } from './test-support';

let server: RunningPostgres;
let root: string;

beforeAll(async () => {
  [server, root] = await Promise.all([startPostgres(), mkdtemp(join(tmpdir(), 'santa-migrate-stages-'))]);
});
afterAll(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(stage: RunningStage, method: string, path: string, options: { token?: string; body?: unknown; key?: string } = {}): Promise<Answer> {
  const response = await fetch(`${stage.url}${path}`, {
    method,
    headers: {
      ...(options.token && { authorization: `Bearer ${options.token}` }),
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.key && { 'idempotency-key': options.key }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Everything a client of the old stage holds, and what the old stage answered with it. */
interface Issued {
  organizerToken: string;
  exchangeId: string;
  participantTokens: string[];
  created: Answer;
  dashboard: Answer;
  views: Answer[];
}

const NEW_EXCHANGE = { name: 'Office party', budget: { amount: 20, currency: 'EUR' } };
const IDEMPOTENCY_KEY = 'create-office-party';

async function issueOnStage01(dataDir: string): Promise<Issued> {
  const stage = await startStage('01-csv', dataDir);
  try {
    const created = await call(stage, 'POST', '/api/v1/exchanges', { body: NEW_EXCHANGE, key: IDEMPOTENCY_KEY });
    expect(created.status).toBe(201);
    const organizerToken = created.body.organizerToken as string;
    const exchangeId = (created.body.exchange as { id: string }).id;
    const participantTokens: string[] = [];
    for (const name of ['Ann', 'Bob', 'Cy', 'Dee']) {
      const added = await call(stage, 'POST', `/api/v1/exchanges/${exchangeId}/participants`, {
        token: organizerToken,
        body: { name, email: `${name.toLowerCase()}@example.test`, wishlist: `Something for ${name}` },
      });
      expect(added.status).toBe(201);
      participantTokens.push(added.body.participantToken as string);
    }
    expect((await call(stage, 'POST', `/api/v1/exchanges/${exchangeId}/draw`, { token: organizerToken, body: {} })).status).toBe(200);

    // The stage holds its directory: a migration must wait until it stops.
    const locked = await runCli(['--from', `01-csv:${dataDir}`, '--to', `02-sqlite:${join(root, 'never')}`]);
    expect(locked.status).toBe(2);
    expect(locked.stderr).toMatch(/is in use by another process \(pid \d+\); stop it first/);

    return {
      organizerToken,
      exchangeId,
      participantTokens,
      created,
      dashboard: await call(stage, 'GET', `/api/v1/exchanges/${exchangeId}`, { token: organizerToken }),
      views: await Promise.all(participantTokens.map((token) => call(stage, 'GET', '/api/v1/me', { token }))),
    };
  } finally {
    await stage.stop();
  }
}

/** The old stage's tokens, used on another stage, get the same answers; so does a retried request. */
async function expectSameAnswers(stage: RunningStage, issued: Issued): Promise<void> {
  const views = await Promise.all(issued.participantTokens.map((token) => call(stage, 'GET', '/api/v1/me', { token })));
  expect(views).toEqual(issued.views);
  expect(views.every((view) => view.status === 200 && view.body.giftee !== null)).toBe(true);
  expect(await call(stage, 'GET', `/api/v1/exchanges/${issued.exchangeId}`, { token: issued.organizerToken })).toEqual(issued.dashboard);
  expect(await call(stage, 'POST', '/api/v1/exchanges', { body: NEW_EXCHANGE, key: IDEMPOTENCY_KEY })).toEqual(issued.created);
}

describe('after a migration, the new stage', () => {
  it('answers the tokens issued by the old one, and replays its idempotent responses: 01-csv -> 02-sqlite -> 03-postgres', async () => {
    const csv: Location = { stage: '01-csv', place: join(root, '01-csv') };
    const sqlite: Location = { stage: '02-sqlite', place: join(root, '02-sqlite') };
    const postgres: Location = { stage: '03-postgres', place: createDatabase(server, 'stages') };
    const issued = await issueOnStage01(csv.place);

    await migrate({ from: csv, to: sqlite });
    const stage02 = await startStage('02-sqlite', sqlite.place);
    try {
      await expectSameAnswers(stage02, issued);
    } finally {
      await stage02.stop();
    }

    await migrate({ from: sqlite, to: postgres });
    const stage03 = await startStage('03-postgres', join(root, '03-postgres'), { DATABASE_URL: postgres.place });
    try {
      await expectSameAnswers(stage03, issued);
    } finally {
      await stage03.stop();
    }
  });
});
