/**
 * Every scenario against every stage, briefly and at a low rate: the scenarios, the
 * token file, the summary and its parser work end to end against the real thing.
 * This checks the machinery, not the speed: the SLO is set far above anything a
 * healthy stage needs, so that a busy 2-core machine cannot fail it, while each
 * threshold is still evaluated by k6 and read back here.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K6_EXIT, createSmokeTokens, runScenario, type ScenarioName } from './index';
import { startStage, type RunningStage } from './test/stage';

const STAGES = ['01-csv', '02-sqlite', '03-postgres', '04-redis-cache', '05-replicas'];

const COMMON = { PRE_ALLOCATED_VUS: 5, MAX_VUS: 20, SLO_P95_MS: 1000 };
const KNOBS: Record<ScenarioName, Record<string, string | number>> = {
  reveal: { RATE: 20, DURATION: '2s' },
  dashboard: { RATE: 20, DURATION: '2s' },
  mixed: { RATE: 20, DURATION: '2s' },
  // Each organizer iteration is seven writes.
  organizer: { RATE: 4, DURATION: '2s' },
  capacity: { START_RATE: 5, MAX_RATE: 20, RAMP_DURATION: '2s', STEPS: 2 },
};

describe.each(STAGES)('stage %s', (stage) => {
  let dir: string;
  let running: RunningStage | undefined;
  let tokensFile: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `santa-loadtest-${stage}-`));
    // Run as root, a stage starts PostgreSQL as another user, which must reach its directory in here.
    await chmod(dir, 0o755);
    running = await startStage(stage, join(dir, 'data'));
    tokensFile = join(dir, 'tokens.json');
    await writeFile(tokensFile, JSON.stringify(await createSmokeTokens(running.url)));
  });

  afterAll(async () => {
    await running?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(KNOBS) as ScenarioName[])('%s runs clean', async (scenario) => {
    const summaryFile = join(dir, `${scenario}.json`);
    const result = await runScenario({
      scenario,
      baseUrl: running?.url as string,
      tokensFile,
      env: { ...COMMON, ...KNOBS[scenario] },
      summaryFile,
    });
    expect(result.exitCode, result.outputTail).toBe(K6_EXIT.ok);
    const summary = result.summary;
    if (summary === null) throw new Error(`k6 wrote no summary; it said:\n${result.outputTail}`);
    expect(summary.scenario).toBe(scenario);
    expect(summary.requests).toBeGreaterThan(0);
    expect(summary.failedRate).toBe(0);
    expect(summary.checksPassRate).toBe(1);
    expect(summary.thresholdsOk, summary.failedThresholds.join('\n')).toBe(true);
    expect(summary.durationMs.p95).toBeGreaterThan(0);
    const routeRequests = Object.values(summary.byName).reduce((sum, route) => sum + route.requests, 0);
    expect(routeRequests).toBe(summary.requests);
    if (scenario === 'capacity') expect(summary.steps?.map((step) => step.step)).toEqual([1, 2]);

    // dropped_iterations is in the raw summary even when nothing was dropped.
    const raw = JSON.parse(await readFile(summaryFile, 'utf8'));
    expect(raw.metrics.dropped_iterations.values.count).toEqual(summary.droppedIterations);
    expect(result.cpuSeconds).toBeGreaterThan(0);
    expect(result.peakRssBytes).toBeGreaterThan(0);
  });
});
