import { randomFillSync } from 'node:crypto';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** A source of uniform random integers. */
export interface Random {
  /** A uniform integer in `[0, maxExclusive)`; `maxExclusive` is an integer in `[1, 2^32]`. */
  int(maxExclusive: number): number;
}

const TWO_POW_32 = 2 ** 32;

function assertRange(maxExclusive: number): void {
  if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > TWO_POW_32) {
    throw new RangeError(`Random.int needs an integer bound in [1, 2^32], got ${maxExclusive}`);
  }
}

// Drawing 4 KiB of CSPRNG output at a time costs one call into OpenSSL per 1,024
// numbers instead of one per number. With the sampler below this is several times
// faster than crypto.randomInt, which matters to a rejection sampler that may ask
// for millions of numbers.
const POOL_WORDS = 1024;
const pool = new Uint32Array(POOL_WORDS);
let poolIndex = POOL_WORDS;

function nextUint32(): number {
  if (poolIndex === POOL_WORDS) {
    randomFillSync(pool);
    poolIndex = 0;
  }
  return pool[poolIndex++];
}

// Lemire's multiply-shift with rejection ("Fast random integer generation in an
// interval", 2019): a 32-bit word w maps to floor(w * max / 2^32), and the few words
// whose low half `w * max mod 2^32` falls below `2^32 mod max` are redrawn, which
// makes every result equally likely. The product is exact in a double while max
// is at most 2^21; larger bounds take the slower modulo route.
const TWO_POW_MINUS_32 = 2 ** -32;
const EXACT_PRODUCT_BOUND = 2 ** 21;

function uniformByModulo(maxExclusive: number): number {
  const rejectBelow = TWO_POW_32 % maxExclusive;
  let word = nextUint32();
  while (word < rejectBelow) word = nextUint32();
  return word % maxExclusive;
}

/** The operating system's CSPRNG, exactly uniform. */
export const cryptoRandom: Random = {
  int(maxExclusive: number): number {
    assertRange(maxExclusive);
    if (maxExclusive > EXACT_PRODUCT_BOUND) return uniformByModulo(maxExclusive);
    let product = nextUint32() * maxExclusive;
    let high = Math.floor(product * TWO_POW_MINUS_32);
    let low = product - high * TWO_POW_32;
    if (low < maxExclusive) {
      const rejectBelow = TWO_POW_32 % maxExclusive;
      while (low < rejectBelow) {
        product = nextUint32() * maxExclusive;
        high = Math.floor(product * TWO_POW_MINUS_32);
        low = product - high * TWO_POW_32;
      }
    }
    return high;
  },
};

/**
 * A reproducible generator (xoroshiro128+ from pure-rand, with its exactly uniform
 * integer distribution) for tests and the deterministic dataset generator.
 * Never use it for a real draw: its output is predictable from the seed.
 */
export function seededRandom(seed: number): Random {
  const generator = xoroshiro128plus(seed);
  return {
    int(maxExclusive: number): number {
      assertRange(maxExclusive);
      return uniformInt(generator, 0, maxExclusive - 1);
    },
  };
}

/** Fisher-Yates: every order of `items` is equally likely. Shuffles in place and returns `items`. */
export function shuffle<T, L extends { length: number; [index: number]: T }>(items: L, random: Random): L {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    const item = items[i];
    items[i] = items[j];
    items[j] = item;
  }
  return items;
}
