import { describe, expect, it } from 'vitest';
import { DomainError, isDomainError } from '../errors';
import type { DrawInput } from '../port';
import { cryptoRandom, seededRandom } from '../random';
import { createDrawFunction, drawAssignments, drawWithOutcome } from './draw';
import { InfeasibleDrawError, listNames } from './explain';
import { drawInput, problemsWith, receiverOf } from './test-support';

function drawError(input: DrawInput, budgets?: Parameters<typeof drawWithOutcome>[2]): DomainError {
  try {
    drawWithOutcome(input, seededRandom(1), budgets);
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected the draw to fail');
}

/** Everybody but `allowedGivers` excludes each of `receivers`. */
function onlyTheseGiveTo(n: number, allowedGivers: number[], receivers: number[]): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (let g = 0; g < n; g++) {
    if (allowedGivers.includes(g)) continue;
    for (const r of receivers) if (r !== g) pairs.push([g, r]);
  }
  return pairs;
}

/** Each of `givers` excludes everybody but `allowedReceivers`. */
function theseOnlyGiveTo(n: number, givers: number[], allowedReceivers: number[]): Array<[number, number]> {
  const pairs: Array<[number, number]> = [];
  for (const g of givers) {
    for (let r = 0; r < n; r++) if (r !== g && !allowedReceivers.includes(r)) pairs.push([g, r]);
  }
  return pairs;
}

describe('drawAssignments', () => {
  it('needs at least 3 participants', () => {
    for (const n of [0, 1, 2]) {
      const error = drawError(drawInput(n));
      expect(error.code).toBe('too_few_participants');
      expect(error.detail).toBe(`A draw needs at least 3 participants; this exchange has ${n}.`);
    }
  });

  it('lets everybody give once and receive once, never to themselves or against an exclusion', () => {
    const input = drawInput(8, [[0, 1], [1, 0], [2, 3], [5, 0], [7, 6]]);
    const random = seededRandom(3);
    for (let i = 0; i < 200; i++) {
      const assignments = drawAssignments(input, random);
      expect(assignments.map((a) => a.giverId)).toEqual(input.participants.map((p) => p.id));
      expect(problemsWith(input, assignments)).toEqual([]);
    }
  });

  it('draws one cycle through everybody under the single-cycle rule', () => {
    const input = drawInput(9, [[0, 1], [4, 2], [8, 3]], true);
    const random = seededRandom(4);
    for (let i = 0; i < 200; i++) expect(problemsWith(input, drawAssignments(input, random))).toEqual([]);
  });

  it('is deterministic for a seed and input order', () => {
    const input = drawInput(12, [[0, 1], [3, 4]]);
    expect(drawAssignments(input, seededRandom(42))).toEqual(drawAssignments(input, seededRandom(42)));
    expect(drawAssignments(input, seededRandom(42))).not.toEqual(drawAssignments(input, seededRandom(43)));
  });

  it('does not depend on the order of the exclusions', () => {
    const input = drawInput(12, [[0, 1], [3, 4], [5, 6], [6, 5], [11, 0]]);
    const reordered = { ...input, exclusions: [...input.exclusions].reverse() };
    expect(drawAssignments(reordered, seededRandom(42))).toEqual(drawAssignments(input, seededRandom(42)));
  });

  it('ignores exclusions of unknown people, of oneself, and repeated ones', () => {
    const input = drawInput(3, [[0, 1], [0, 1], [2, 2]]);
    input.exclusions.push({ giverId: 'id-1', receiverId: 'somebody-else' }, { giverId: 'gone', receiverId: 'id-2' });
    // Only 0 -> 1 is left: the one valid assignment is 0 -> 2 -> 1 -> 0.
    expect(receiverOf(input, drawAssignments(input, seededRandom(5)))).toEqual([2, 0, 1]);
  });

  it('refuses a participant listed twice, which only a broken store could send', () => {
    const input = drawInput(4);
    input.participants[3] = { ...input.participants[0] };
    expect(() => drawAssignments(input, seededRandom(6))).toThrow(/lists participant id-0 twice/);
    expect(() => drawAssignments(input, seededRandom(6))).not.toThrow(DomainError);
  });
});

describe('createDrawFunction', () => {
  it('draws with the CSPRNG by default', () => {
    const input = drawInput(20, [[0, 1]], true);
    expect(problemsWith(input, createDrawFunction()(input))).toEqual([]);
  });

  it('draws with the source it is given', () => {
    const input = drawInput(20);
    expect(createDrawFunction(seededRandom(8))(input)).toEqual(drawAssignments(input, seededRandom(8)));
  });
});

describe('infeasible_draw', () => {
  it('names somebody nobody can give to', () => {
    const error = drawError(drawInput(5, onlyTheseGiveTo(5, [], [3])));
    expect(error.code).toBe('infeasible_draw');
    expect(error.detail).toBe('Nobody can give to Dee. Remove some exclusions to make a draw possible.');
  });

  it('names somebody who can give to nobody', () => {
    const error = drawError(drawInput(5, theseOnlyGiveTo(5, [0], [])));
    expect(error.detail).toBe('Ann cannot give to anybody. Remove some exclusions to make a draw possible.');
  });

  it('names three people who can only give to two', () => {
    const error = drawError(drawInput(6, theseOnlyGiveTo(6, [0, 1, 2], [3, 4])));
    expect(error.detail).toBe(
      'Ann, Bob and Cy can only give to 2 people between them: Dee and Eve. Remove some exclusions to make a draw possible.',
    );
  });

  it('names two people only one person can give to', () => {
    const error = drawError(drawInput(5, onlyTheseGiveTo(5, [0], [3, 4])));
    expect(error.detail).toBe('Only Ann can give to Dee and Eve. Remove some exclusions to make a draw possible.');
  });

  it('names the smallest part of a household too large to draw outside itself', () => {
    // Five of seven exclude each other: any three of them can only give to the other two.
    const household = [0, 1, 2, 3, 4];
    const error = drawError(drawInput(7, household.flatMap((g) => household.map((r): [number, number] => [g, r]))));
    expect(error).toBeInstanceOf(InfeasibleDrawError);
    const { blocking } = error as InfeasibleDrawError;
    expect(blocking.participantIds).toHaveLength(3);
    expect(blocking.participantIds.every((id) => ['id-0', 'id-1', 'id-2', 'id-3', 'id-4'].includes(id))).toBe(true);
    expect(blocking.counterpartIds).toEqual(['id-5', 'id-6']);
    expect(error.detail).toMatch(/^(.+, .+ and .+ can only give to 2 people between them: Fay and Gus|Only 2 people can give to .+, .+ and .+: Fay and Gus)\./);
  });

  it('lists the blocking group by id, in the error and in one field error per member', () => {
    const error = drawError(drawInput(6, theseOnlyGiveTo(6, [0, 1, 2], [3, 4])));
    expect(error).toBeInstanceOf(InfeasibleDrawError);
    expect((error as InfeasibleDrawError).blocking).toEqual({
      side: 'givers',
      participantIds: ['id-0', 'id-1', 'id-2'],
      counterpartIds: ['id-3', 'id-4'],
    });
    expect(error.errors?.map((e) => e.path)).toEqual(['/participants/id-0', '/participants/id-1', '/participants/id-2']);
  });

  it('names at most five people', () => {
    expect(listNames(['Ann'])).toBe('Ann');
    expect(listNames(['Ann', 'Bob'])).toBe('Ann and Bob');
    expect(listNames(['Ann', 'Bob', 'Cy', 'Dee', 'Eve'])).toBe('Ann, Bob, Cy, Dee and Eve');
    expect(listNames(['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay'])).toBe('Ann, Bob, Cy, Dee, Eve and 1 other');
    expect(listNames(['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal'])).toBe('Ann, Bob, Cy, Dee, Eve and 3 others');
  });

  it('is also what the single-cycle rule reports when no assignment exists at all', () => {
    const error = drawError(drawInput(5, onlyTheseGiveTo(5, [], [3]), true));
    expect(error.code).toBe('infeasible_draw');
  });
});

describe('single_cycle_not_found', () => {
  // Two groups of three who exclude each other: each group can draw a cycle of its
  // own, but no cycle can pass from one group to the other.
  const apart = (size: number): Array<[number, number]> => {
    const pairs: Array<[number, number]> = [];
    for (let g = 0; g < 2 * size; g++) {
      for (let r = 0; r < 2 * size; r++) if (g < size !== r < size) pairs.push([g, r]);
    }
    return pairs;
  };

  it('says no single cycle exists when the search has tried everything', () => {
    const input = drawInput(6, apart(3), true);
    const error = drawError(input);
    expect(error.code).toBe('single_cycle_not_found');
    expect(error.detail).toBe(
      'No single cycle through everybody exists with these exclusions, although a draw without the single-cycle rule does. Remove some exclusions or turn off the single-cycle rule.',
    );
    expect(problemsWith({ ...input, rules: { singleCycle: false } }, drawAssignments({ ...input, rules: { singleCycle: false } }, seededRandom(9)))).toEqual([]);
  });

  it('says the search gave up when its budget runs out', () => {
    const error = drawError(drawInput(12, apart(6), true), { rejectionSteps: 0, cycleSearchSteps: 40 });
    expect(error.detail).toBe(
      'No single cycle through everybody was found: the search for one is bounded and gave up after 40 steps. Remove some exclusions or turn off the single-cycle rule.',
    );
  });
});

describe('10,000 participants', () => {
  const n = 10_000;
  const withExclusions = (perPerson: number, singleCycle: boolean, seed: number): DrawInput => {
    const random = seededRandom(seed);
    const exclusions: Array<[number, number]> = [];
    for (let g = 0; g < n; g++) for (let k = 0; k < perPerson; k++) exclusions.push([g, random.int(n)]);
    return drawInput(n, exclusions, singleCycle);
  };

  it('draws exactly with sparse exclusions', () => {
    for (const singleCycle of [false, true]) {
      const input = withExclusions(3, singleCycle, 10);
      const outcome = drawWithOutcome(input, cryptoRandom);
      expect(outcome.method).toBe('rejection');
      expect(problemsWith(input, outcome.assignments)).toEqual([]);
    }
  });

  it('falls back with dense exclusions and still draws validly', () => {
    const assignment = withExclusions(15, false, 11);
    const matched = drawWithOutcome(assignment, cryptoRandom);
    expect(matched.method).toBe('matching');
    expect(problemsWith(assignment, matched.assignments)).toEqual([]);

    const cycle = withExclusions(15, true, 12);
    const searched = drawWithOutcome(cycle, cryptoRandom);
    expect(searched.method).toBe('cycle-search');
    expect(problemsWith(cycle, searched.assignments)).toEqual([]);
  });

  it('finds the one person nobody can give to', () => {
    const input = drawInput(n, onlyTheseGiveTo(n, [], [1234]));
    const error = drawError(input);
    expect(isDomainError(error, 'infeasible_draw')).toBe(true);
    expect(error.detail).toBe('Nobody can give to P1234. Remove some exclusions to make a draw possible.');
  });
});
