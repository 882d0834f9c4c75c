import { describe, expect, it } from 'vitest';
import { isDomainError } from '../errors';
import { seededRandom } from '../random';
import { drawWithOutcome } from './draw';
import { InfeasibleDrawError } from './explain';
import {
  allowedIn,
  counterpartsOf,
  drawInput,
  isBlocking,
  problemsWith,
  receiverOf,
  smallestBlockingSize,
  subsets,
  validAssignments,
} from './test-support';

/** No rejection sampling at all: straight to the matching or the cycle search. */
const FALLBACK_ONLY = { rejectionSteps: 0 };

/** Random small exchanges: n from 3 to 7, each ordered pair excluded with the given odds. */
function randomInstances(count: number, seed: number): Array<{ n: number; exclusions: Array<[number, number]> }> {
  const random = seededRandom(seed);
  const densities = [0.15, 0.3, 0.45, 0.6];
  return Array.from({ length: count }, (_, i) => {
    const n = 3 + random.int(5);
    const density = densities[i % densities.length];
    const exclusions: Array<[number, number]> = [];
    for (let g = 0; g < n; g++) {
      for (let r = 0; r < n; r++) {
        if (g !== r && random.int(1000) < density * 1000) exclusions.push([g, r]);
      }
    }
    return { n, exclusions };
  });
}

function indicesOf(ids: string[]): number[] {
  return ids.map((id) => Number(id.slice('id-'.length)));
}

function blockingOf(error: unknown): InfeasibleDrawError {
  if (!(error instanceof InfeasibleDrawError)) throw error;
  return error;
}

function drawError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the draw to fail');
}

describe('the matching fallback', () => {
  const instances = randomInstances(400, 7);

  it('always returns a valid assignment when one exists, and infeasible_draw exactly when none does', () => {
    const random = seededRandom(11);
    let feasible = 0;
    for (const { n, exclusions } of instances) {
      const input = drawInput(n, exclusions);
      const valid = new Set(validAssignments(n, allowedIn(input), false));
      if (valid.size > 0) {
        feasible++;
        const outcome = drawWithOutcome(input, random, FALLBACK_ONLY);
        expect(outcome.method).toBe('matching');
        expect(valid.has(receiverOf(input, outcome.assignments).join(','))).toBe(true);
      } else {
        expect(isDomainError(drawError(() => drawWithOutcome(input, random, FALLBACK_ONLY)), 'infeasible_draw')).toBe(
          true,
        );
      }
    }
    // The instances cover both outcomes well.
    expect(feasible).toBeGreaterThan(100);
    expect(instances.length - feasible).toBeGreaterThan(100);
  });

  it('names a smallest blocking group that really blocks, with exactly the people its members can reach', () => {
    const random = seededRandom(12);
    let smallest = 0;
    let infeasible = 0;
    for (const { n, exclusions } of instances) {
      const input = drawInput(n, exclusions);
      const allowed = allowedIn(input);
      const minimum = smallestBlockingSize(n, allowed);
      if (minimum === null) continue;
      infeasible++;
      const { blocking } = blockingOf(drawError(() => drawWithOutcome(input, random, FALLBACK_ONLY)));
      const members = indicesOf(blocking.participantIds);
      expect(isBlocking(n, allowed, blocking.side, members)).toBe(true);
      expect(indicesOf(blocking.counterpartIds)).toEqual(counterpartsOf(n, allowed, blocking.side, members));
      const properSubsets = subsets(members).filter((subset) => subset.length < members.length);
      expect(properSubsets.filter((subset) => isBlocking(n, allowed, blocking.side, subset))).toEqual([]);
      if (members.length === minimum) smallest++;
    }
    expect(infeasible).toBeGreaterThan(100);
    // Not guaranteed in general (see smallestBlockingGroup), but true of all of these.
    expect(smallest).toBe(infeasible);
  });

  it('reaches every derangement of 5 people: its moves connect them all', () => {
    const input = drawInput(5);
    const valid = validAssignments(5, allowedIn(input), false);
    const seen = new Set<string>();
    const random = seededRandom(13);
    for (let i = 0; i < 20 * valid.length; i++) {
      seen.add(receiverOf(input, drawWithOutcome(input, random, FALLBACK_ONLY).assignments).join(','));
    }
    expect(seen.size).toBe(valid.length);
  });

  it('takes over at once when exclusions are so dense that rejection could not succeed', () => {
    const random = seededRandom(14);
    const n = 300;
    const exclusions: Array<[number, number]> = [];
    for (let g = 0; g < n; g++) for (let k = 0; k < 40; k++) exclusions.push([g, random.int(n)]);
    const input = drawInput(n, exclusions);
    const outcome = drawWithOutcome(input, random);
    expect(outcome.method).toBe('matching');
    expect(problemsWith(input, outcome.assignments)).toEqual([]);
  });
});

describe('the single-cycle fallback', () => {
  const instances = randomInstances(400, 8);

  it('finds a single cycle whenever one exists, and says which rule failed otherwise', () => {
    const random = seededRandom(21);
    const seen = { cycle: 0, noCycle: 0, infeasible: 0 };
    for (const { n, exclusions } of instances) {
      const input = drawInput(n, exclusions, true);
      const allowed = allowedIn(input);
      const cycles = new Set(validAssignments(n, allowed, true));
      if (cycles.size > 0) {
        seen.cycle++;
        const outcome = drawWithOutcome(input, random, FALLBACK_ONLY);
        expect(outcome.method).toBe('cycle-search');
        expect(cycles.has(receiverOf(input, outcome.assignments).join(','))).toBe(true);
        continue;
      }
      const error = drawError(() => drawWithOutcome(input, random, FALLBACK_ONLY));
      if (validAssignments(n, allowed, false).length > 0) {
        seen.noCycle++;
        expect(isDomainError(error, 'single_cycle_not_found')).toBe(true);
        // The search is complete for small exchanges, so running out proves it.
        expect((error as Error).message).toMatch(/^No single cycle through everybody exists/);
      } else {
        seen.infeasible++;
        expect(isDomainError(error, 'infeasible_draw')).toBe(true);
      }
    }
    expect(seen.cycle).toBeGreaterThan(50);
    expect(seen.noCycle).toBeGreaterThan(3);
    expect(seen.infeasible).toBeGreaterThan(50);
  });

  it('reaches every single cycle through 5 people', () => {
    const input = drawInput(5, [], true);
    const valid = validAssignments(5, allowedIn(input), true);
    const seen = new Set<string>();
    const random = seededRandom(22);
    for (let i = 0; i < 20 * valid.length; i++) {
      seen.add(receiverOf(input, drawWithOutcome(input, random, FALLBACK_ONLY).assignments).join(','));
    }
    expect(seen.size).toBe(valid.length);
  });
});
