import { randomInt } from 'node:crypto';
import { bench, describe } from 'vitest';
import type { DrawInput } from '../port';
import { cryptoRandom, seededRandom } from '../random';
import { drawWithOutcome } from './draw';
import { drawInput } from './test-support';

const n = 10_000;

/** `perPerson` random exclusions for each of n participants (fixed seed: every run benches the same input). */
function exchange(perPerson: number, singleCycle: boolean): DrawInput {
  const random = seededRandom(perPerson);
  const exclusions: Array<[number, number]> = [];
  for (let g = 0; g < n; g++) for (let k = 0; k < perPerson; k++) exclusions.push([g, random.int(n)]);
  return drawInput(n, exclusions, singleCycle);
}

function benchDraw(name: string, input: DrawInput, method?: string): void {
  bench(name, () => {
    const outcome = drawWithOutcome(input, cryptoRandom);
    if (method !== undefined && outcome.method !== method) {
      throw new Error(`${name} drew by ${outcome.method}, not ${method}`);
    }
  });
}

describe('draw, 10,000 participants', () => {
  benchDraw('no exclusions (exact)', exchange(0, false), 'rejection');
  benchDraw('3 exclusions each (exact)', exchange(3, false), 'rejection');
  benchDraw('single cycle, 3 exclusions each (exact)', exchange(3, true), 'rejection');
  // Exact sampling would need ~3e8 steps on average: too many for its budget
  // (5e6), too few to skip it. It nearly always spends the whole budget before the
  // fallback takes over: the slowest case there is.
  benchDraw('12 exclusions each (budget spent, then matching)', exchange(12, false));
  // So dense that exact sampling is skipped outright.
  benchDraw('20 exclusions each (matching)', exchange(20, false), 'matching');
  benchDraw('single cycle, 20 exclusions each (cycle search)', exchange(20, true), 'cycle-search');
});

describe('10,000 uniform integers below 10,000', () => {
  const seeded = seededRandom(1);
  bench('cryptoRandom (pooled CSPRNG words, Lemire)', () => {
    for (let i = 0; i < 10_000; i++) cryptoRandom.int(10_000);
  });
  bench('crypto.randomInt', () => {
    for (let i = 0; i < 10_000; i++) randomInt(10_000);
  });
  bench('seededRandom (xoroshiro128+)', () => {
    for (let i = 0; i < 10_000; i++) seeded.int(10_000);
  });
});
