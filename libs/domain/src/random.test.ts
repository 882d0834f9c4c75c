import { describe, expect, it } from 'vitest';
import { chiSquareCritical, chiSquareUniform } from './draw/test-support';
import { cryptoRandom, type Random, seededRandom, shuffle } from './random';

// cryptoRandom cannot be seeded, so its uniformity tests are the one place where a
// correct implementation fails by chance: one run in a million.
const CRYPTO_ALPHA = 1e-6;

/** How often each of `buckets` equal slices of `[0, bound)` was drawn. */
function tally(random: Random, bound: number, buckets: number, samples: number): number[] {
  const result = new Array<number>(buckets).fill(0);
  let outOfRange = 0;
  for (let i = 0; i < samples; i++) {
    const value = random.int(bound);
    if (Number.isInteger(value) && value >= 0 && value < bound) result[Math.floor((value / bound) * buckets)]++;
    else outOfRange++;
  }
  expect(outOfRange).toBe(0);
  return result;
}

describe.each([
  ['cryptoRandom', () => cryptoRandom],
  ['seededRandom', () => seededRandom(99)],
])('%s', (_name, make) => {
  it('rejects bounds that are not integers in [1, 2^32]', () => {
    const random = make();
    for (const bound of [0, -1, 1.5, Number.NaN, Infinity, 2 ** 32 + 1]) {
      expect(() => random.int(bound)).toThrow(RangeError);
    }
    expect(random.int(1)).toBe(0);
  });

  it('is uniform for small bounds that do not divide 2^32', () => {
    const random = make();
    for (const bound of [3, 7, 10, 1000]) {
      const samples = bound * 100;
      const observed = tally(random, bound, bound, samples);
      expect(chiSquareUniform(observed, samples)).toBeLessThan(chiSquareCritical(bound - 1, CRYPTO_ALPHA));
    }
  });

  it('covers large bounds on both sides of 2^21, where the sampler changes method', () => {
    const random = make();
    for (const bound of [2 ** 21, 2 ** 21 + 1, 3 * 2 ** 30]) {
      // Slices of the range test its whole span, high values included.
      const buckets = 16;
      const samples = 16_000;
      const observed = tally(random, bound, buckets, samples);
      expect(chiSquareUniform(observed, samples)).toBeLessThan(chiSquareCritical(buckets - 1, CRYPTO_ALPHA));
    }
  });
});

describe('seededRandom', () => {
  it('repeats itself for a seed and differs between seeds', () => {
    const sequence = (seed: number): number[] => {
      const random = seededRandom(seed);
      return Array.from({ length: 20 }, () => random.int(1_000_000));
    };
    expect(sequence(5)).toEqual(sequence(5));
    expect(sequence(5)).not.toEqual(sequence(6));
  });
});

describe('shuffle', () => {
  it('produces every order of four items equally often', () => {
    const random = seededRandom(17);
    const tally = new Map<string, number>();
    const samples = 24 * 200;
    for (let i = 0; i < samples; i++) {
      const key = shuffle(['a', 'b', 'c', 'd'], random).join('');
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    expect(tally.size).toBe(24);
    expect(chiSquareUniform([...tally.values()], samples)).toBeLessThan(chiSquareCritical(23, 0.001));
  });

  it('shuffles typed arrays in place', () => {
    const values = Int32Array.from([1, 2, 3, 4, 5]);
    expect(shuffle(values, seededRandom(1))).toBe(values);
    expect([...values].sort()).toEqual([1, 2, 3, 4, 5]);
  });
});
