import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProfileResult } from '@santa/compare';
import { afterAll, expect, it } from 'vitest';
import { findBlocks } from './blocks';
import { citedFiles, renderBlock } from './render';
import { Results } from './results';

// A guide's profile block before and after its stage's profile lands in docs/results.
const root = mkdtempSync(join(tmpdir(), 'santa-docs-profile-'));
mkdirSync(join(root, 'docs/results'), { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

const [block] = findBlocks('<!-- generated:stage-profile target=02-sqlite rows=2 reproduce="npm run profile -- 02-sqlite" -->\n<!-- /generated -->');
const file = 'docs/migrations/guide.md';

function profile(participants: number, command: string): ProfileResult {
  const frame = (name: string, selfMs: number) => ({ function: name, location: 'libs/store-sqlite/src/sqlite-store.ts:1', category: 'project: libs/store-sqlite', selfMs });
  return {
    schema: 'santa-profile/1',
    name: `profile-02-sqlite-reveal-${participants}`,
    command,
    git: { commit: '0123456789abcdef', dirty: false },
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:30.000Z',
    machine: { cores: 2, cpuModel: 'test', memoryBytes: 2 ** 30, kernel: 'test', loadAverageAtStart: [0, 0, 0], versions: {} },
    settings: { target: '02-sqlite', scenario: 'reveal', participants, rate: 100, duration: '20s', warmup: '10s', seed: 1, top: 3 },
    measured: { requests: 2000, rps: 100, p50Ms: 1, p95Ms: 2, p99Ms: 3, errorRate: 0, droppedIterations: 0, seconds: 20 },
    processes: 1,
    summary: {
      profiles: 1,
      busyMs: 600,
      idleMs: 400,
      frames: [frame('parse', 300), frame('find', 200), frame('hash', 100)],
      categories: [
        { category: 'project: libs/store-sqlite', selfMs: 500 },
        { category: 'express', selfMs: 60 },
        { category: 'pino', selfMs: 40 },
      ],
    },
  } as ProfileResult;
}

it('shows the command that records a stage\'s profile until one is there, citing nothing', () => {
  if (!block) throw new Error('no block');
  const results = new Results(root);
  expect(citedFiles(block, results)).toEqual([]);
  const text = renderBlock(block, { results, file });
  expect(text).toContain('No CPU profile of **02-sqlite**');
  expect(text).toContain('```sh\nnpm run profile -- 02-sqlite\n```');
});

it('once profiles are there, renders the largest one\'s top rows and its recorded command, and cites it', () => {
  if (!block) throw new Error('no block');
  for (const participants of [1000, 10000]) {
    writeFileSync(join(root, `docs/results/profile-02-sqlite-reveal-${participants}.json`), JSON.stringify(profile(participants, `npm run profile -- 02-sqlite --participants ${participants}`)));
  }
  const results = new Results(root);
  expect(citedFiles(block, results)).toEqual(['docs/results/profile-02-sqlite-reveal-10000.json']);
  const text = renderBlock(block, { results, file });
  expect(text).toContain('npm run profile -- 02-sqlite --participants 10000');
  expect(text).toContain('`parse`');
  expect(text).toContain('`find`');
  expect(text).not.toContain('`hash`');
  expect(text).not.toContain('| pino |');
  expect(text).toContain('](../results/profile-02-sqlite-reveal-10000.json)');
});
