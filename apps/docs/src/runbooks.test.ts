import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort, startPostgres, type RunningPostgres } from '@santa/services';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docFiles, repoRoot } from './files';
import { RUNBOOKS, type RunbookStep } from './runbooks';

// Every command the guides show, run for real and in order, as runbooks.ts describes.
let sandbox: string;
/** The metrics each served stage exposed on /metrics, by name. */
const exposed = new Set<string>();
let postgres: RunningPostgres;

beforeAll(async () => {
  sandbox = mkdtempSync(join(tmpdir(), 'santa-docs-'));
  postgres = await startPostgres();
}, 120_000);

afterAll(async () => {
  await postgres?.stop();
  if (sandbox) rmSync(sandbox, { recursive: true, force: true });
});

async function asRun(step: RunbookStep): Promise<string> {
  const port = step.serves ? await freePort() : 0;
  return step.command.replace(/(^|[\s:=])data\//g, `$1${sandbox}/`).replace(/--port 3000\b/, `--port ${port}`);
}

function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: postgres.url };
  delete env.REDIS_URL;
  return env;
}

async function serve(command: string): Promise<void> {
  const child = spawn('bash', ['-c', command], { cwd: repoRoot, env: environment(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ready line within 90 s\n${stderr}`)), 90_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        const ready = /^ready (\S+)/.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolve(ready[1] as string);
        }
      });
      void exited.then((code) => reject(new Error(`exited ${code} before it was ready\n${stderr}`)));
    });
    const response = await fetch(`${url}/readyz`);
    expect(response.status, await response.text()).toBe(200);
    // The web UI the README points a browser at.
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    await page.arrayBuffer();
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    for (const match of (await metrics.text()).matchAll(/^# TYPE (\S+) /gm)) exposed.add(match[1] as string);
  } finally {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await exited;
  }
}

describe.sequential('the runbooks of the guides, run as written', () => {
  for (const book of RUNBOOKS) {
    it(book.name, async () => {
      for (const step of book.steps) {
        const command = await asRun(step);
        if (step.serves) {
          await serve(command);
        } else {
          const run = spawnSync('bash', ['-c', command], { cwd: repoRoot, env: environment(), encoding: 'utf8', timeout: 120_000 });
          expect(run.status, `${command}\n${run.stdout}\n${run.stderr}`).toBe(0);
        }
      }
    }, 240_000);
  }

  it('every metric the docs tell a reader to watch is one a stage served on /metrics above', () => {
    const named = docFiles()
      .filter((file) => file.startsWith('docs/') && !file.startsWith('docs/results/'))
      .flatMap((file) => [...readFileSync(join(repoRoot, file), 'utf8').matchAll(/`((?:santa|http|process|nodejs)_[a-z_]+)(?:\{[^`]*\})?`/g)].map((match) => ({ file, metric: match[1] as string })));
    expect(named.length).toBeGreaterThan(5);
    expect(exposed.size).toBeGreaterThan(5);
    expect(named.filter(({ metric }) => !exposed.has(metric)).map(({ file, metric }) => `${file}: ${metric}`)).toEqual([]);
  });
});
