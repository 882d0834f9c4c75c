import { describe, expect, it } from 'vitest';
import { categoryOf, summariseProfiles, type CpuProfile } from './cpuprofile';
import { parseProfileArgs } from './profile';
import { UsageError } from './args';

const root = '/repo';
const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

// (root) -> handler (libs/http) -> get (better-sqlite3) -> native statement step
//                               -> constructor (project code named like Object.prototype's)
//        -> (garbage collector); (idle)
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)', ''), children: [2, 6, 7] },
    { id: 2, callFrame: frame('handle', 'file:///repo/libs/http/src/app.ts', 9), children: [3, 5] },
    { id: 3, callFrame: frame('get', '/repo/node_modules/better-sqlite3/lib/methods/wrappers.js', 4), children: [4] },
    { id: 4, callFrame: frame('step', '') },
    { id: 5, callFrame: frame('constructor', 'file:///repo/libs/domain/src/model.ts', 2) },
    { id: 6, callFrame: frame('(garbage collector)', '') },
    { id: 7, callFrame: frame('(idle)', '') },
  ],
  startTime: 1_000,
  endTime: 2_100,
  // One sample every 100 µs, from 1,100 to 2,000; each stands for the 100 µs after it.
  samples: [2, 4, 4, 4, 5, 6, 7, 7, 3, 2],
  timeDeltas: [100, 100, 100, 100, 100, 100, 100, 100, 100, 100],
};

describe('summariseProfiles', () => {
  it('charges native frames to their caller, names pseudo-frames, and separates idle time', () => {
    const summary = summariseProfiles([profile], { repoRoot: root });
    expect(summary.busyMs).toBeCloseTo(0.8);
    expect(summary.idleMs).toBeCloseTo(0.2);
    expect(Object.fromEntries(summary.categories.map(({ category, selfMs }) => [category, Math.round(selfMs * 1000)]))).toEqual({
      'better-sqlite3 (native)': 300,
      'project: libs/http': 200,
      'project: libs/domain': 100,
      'garbage collection': 100,
      'better-sqlite3': 100,
    });
    expect(summary.frames[0]).toEqual({ function: 'step', location: '', category: 'better-sqlite3 (native)', selfMs: expect.closeTo(0.3) });
    expect(summary.frames.find((cost) => cost.function === 'constructor')?.location).toBe('libs/domain/src/model.ts:3');
  });

  it('counts only samples inside the window and merges several processes', () => {
    const windowed = summariseProfiles([profile, profile], { repoRoot: root, fromUs: 1_200, toUs: 1_500 });
    // Samples at 1,200, 1,300, 1,400 in each profile: the native step, three times over two processes.
    expect(windowed.profiles).toBe(2);
    expect(windowed.busyMs).toBeCloseTo(0.6);
    expect(windowed.categories).toEqual([{ category: 'better-sqlite3 (native)', selfMs: expect.closeTo(0.6) }]);
  });

  it('keeps the top functions only', () => {
    expect(summariseProfiles([profile], { repoRoot: root, top: 2 }).frames.map((cost) => cost.function)).toEqual(['step', 'handle']);
  });
});

describe('categoryOf', () => {
  it('names npm packages (scoped too), node modules and project packages', () => {
    expect(categoryOf('file:///repo/node_modules/@pinojs/redact/index.js', root)).toBe('@pinojs/redact');
    expect(categoryOf('node:_http_server', root)).toBe('node: _http_server');
    expect(categoryOf('node:internal/streams/writable', root)).toBe('node: internals');
    expect(categoryOf('/repo/stages/02-sqlite/src/main.ts', root)).toBe('project: stages/02-sqlite');
    expect(categoryOf('', root)).toBeNull();
  });
});

describe('parseProfileArgs', () => {
  const targets = ['ceiling', 'bare-node', '02-sqlite'];
  it('defaults to the reveal scenario at 100,000 participants and names the result after them', () => {
    const options = parseProfileArgs(['02-sqlite'], targets);
    expect(options).toMatchObject({ target: '02-sqlite', scenario: 'reveal', participants: 100_000, name: 'profile-02-sqlite-reveal-100000' });
  });
  it('refuses what it cannot profile', () => {
    expect(() => parseProfileArgs(['bare-node'], targets)).toThrow(UsageError);
    expect(() => parseProfileArgs(['02-sqlite', 'ceiling'], targets)).toThrow(/one target/);
    expect(() => parseProfileArgs(['02-sqlite', '--scenario', 'organizer'], targets)).toThrow(/--scenario/);
    expect(() => parseProfileArgs(['02-sqlite', '--name', '../x'], targets)).toThrow(/--name/);
  });
});
