import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random';
import { drawWithOutcome } from './draw';
import {
  allowedIn,
  chiSquareCritical,
  chiSquareUniform,
  drawInput,
  normalQuantile,
  permutations,
  receiverOf,
  validAssignments,
} from './test-support';

// Each valid assignment is expected this many times: enough for Pearson's
// chi-square approximation (it wants 5 or more per cell) to be sound.
const EXPECTED_PER_ASSIGNMENT = 40;
const ALPHA = 0.001;

describe('the statistics the tests rely on', () => {
  it('computes normal quantiles', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.999)).toBeCloseTo(3.090232, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
  });

  it('approximates chi-square critical values within 1% for the degrees of freedom used here', () => {
    // Exact values from the chi-square distribution table at alpha = 0.001.
    expect(chiSquareCritical(10, 0.001)).toBeCloseTo(29.588, 0);
    expect(chiSquareCritical(100, 0.001) / 149.449).toBeCloseTo(1, 2);
    expect(chiSquareCritical(1000, 0.001) / 1143.917).toBeCloseTo(1, 2);
  });
});

describe('counting valid assignments by brute force', () => {
  it('finds the derangement numbers (OEIS A000166) without exclusions', () => {
    const derangements = [2, 9, 44, 265, 1854, 14833];
    for (let n = 3; n <= 8; n++) {
      expect(validAssignments(n, (g, r) => g !== r, false)).toHaveLength(derangements[n - 3]);
    }
  });

  it('finds (n - 1)! single cycles without exclusions', () => {
    const factorial = (k: number): number => (k <= 1 ? 1 : k * factorial(k - 1));
    for (let n = 3; n <= 8; n++) {
      expect(validAssignments(n, (g, r) => g !== r, true)).toHaveLength(factorial(n - 1));
    }
  });

  it('enumerates every permutation once', () => {
    const all = permutations(5).map((p) => p.join(','));
    expect(all).toHaveLength(120);
    expect(new Set(all).size).toBe(120);
  });
});

const household = (members: number[]): Array<[number, number]> =>
  members.flatMap((g) => members.filter((r) => r !== g).map((r): [number, number] => [g, r]));

const patterns: Array<{ name: string; n: number; exclusions: Array<[number, number]> }> = [
  { name: 'no exclusions, 4 people', n: 4, exclusions: [] },
  { name: 'no exclusions, 6 people', n: 6, exclusions: [] },
  { name: 'a few mutual pairs', n: 6, exclusions: [[0, 1], [1, 0], [2, 3], [3, 2]] },
  { name: 'a household of three', n: 7, exclusions: household([0, 1, 2]) },
  { name: 'asymmetric exclusions', n: 6, exclusions: [[0, 1], [0, 2], [3, 0], [5, 4], [2, 1], [4, 3]] },
  {
    // Two households of three must give across: only 3! x 3! assignments, fewer
    // with the two extra exclusions.
    name: 'nearly infeasible',
    n: 6,
    exclusions: [...household([0, 1, 2]), ...household([3, 4, 5]), [0, 3], [1, 4]],
  },
];

function expectUniform(n: number, exclusions: Array<[number, number]>, singleCycle: boolean, seed: number): void {
  const input = drawInput(n, exclusions, singleCycle);
  const valid = validAssignments(n, allowedIn(input), singleCycle);
  expect(valid.length).toBeGreaterThan(1);
  const counts = new Map(valid.map((key) => [key, 0]));
  const samples = valid.length * EXPECTED_PER_ASSIGNMENT;
  const random = seededRandom(seed);
  let inexact = 0;
  for (let i = 0; i < samples; i++) {
    const outcome = drawWithOutcome(input, random);
    if (outcome.method !== 'rejection') inexact++;
    const key = receiverOf(input, outcome.assignments).join(',');
    const count = counts.get(key);
    if (count === undefined) throw new Error(`drew an invalid assignment: ${key}`);
    counts.set(key, count + 1);
  }
  expect(inexact).toBe(0);
  const observed = [...counts.values()];
  expect(observed.filter((count) => count === 0)).toHaveLength(0);
  expect(chiSquareUniform(observed, samples)).toBeLessThan(chiSquareCritical(valid.length - 1, ALPHA));
}

describe('the exact sampler draws every valid assignment with equal probability', () => {
  for (const [index, { name, n, exclusions }] of patterns.entries()) {
    it(`without the single-cycle rule: ${name}`, () => {
      expectUniform(n, exclusions, false, 1000 + index);
    });
  }
});

describe('the exact sampler draws every valid single cycle with equal probability', () => {
  const cyclePatterns = patterns.filter((p) => p.name !== 'nearly infeasible');
  cyclePatterns.push({
    name: 'a near-complete ring of exclusions',
    n: 6,
    exclusions: [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [1, 0], [3, 2]],
  });
  for (const [index, { name, n, exclusions }] of cyclePatterns.entries()) {
    it(`with the single-cycle rule: ${name}`, () => {
      expectUniform(n, exclusions, true, 2000 + index);
    });
  }
});
