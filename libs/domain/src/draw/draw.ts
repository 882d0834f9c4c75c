import { DomainError } from '../errors';
import { LIMITS, type Assignment } from '../model';
import type { DrawFunction, DrawInput } from '../port';
import { cryptoRandom, type Random } from '../random';
import { searchCycle } from './cycle-search';
import { infeasibleDrawError, singleCycleNotFoundError } from './explain';
import { ExclusionGraph } from './graph';
import { maximumMatching, smallestBlockingGroup } from './matching';
import { mixAssignment, mixCycle } from './mixing';
import { sampleAssignment, sampleCycle } from './rejection';

/** Work limits; the defaults scale with the number of participants n. */
export interface DrawBudgets {
  /** Placements the exact sampler may make before the fallback takes over. Default max(1,000,000, 500 n). */
  rejectionSteps: number;
  /** Proposals of the Markov chain that scrambles a fallback result. Default max(1,000, ⌈n ln n⌉). */
  mixingSteps: number;
  /** Placements the single-cycle search may make before it gives up. Default max(100,000, 20 n). */
  cycleSearchSteps: number;
}

export function defaultDrawBudgets(n: number): DrawBudgets {
  return {
    rejectionSteps: Math.max(1_000_000, 500 * n),
    mixingSteps: Math.max(1_000, Math.ceil(n * Math.log(n))),
    cycleSearchSteps: Math.max(100_000, 20 * n),
  };
}

/**
 * How the assignment was drawn. `rejection` is exactly uniform over every valid
 * assignment (or every valid single cycle); the fallbacks are valid but not exactly
 * uniform (see README.md).
 */
export type DrawMethod = 'rejection' | 'matching' | 'cycle-search';

export interface DrawOutcome {
  /** One per participant, in the order of `input.participants`. */
  assignments: Assignment[];
  method: DrawMethod;
}

/**
 * Draws who gives to whom: everybody gives once and receives once, nobody draws
 * themselves, no exclusion is broken, and with `rules.singleCycle` the gifts form
 * one cycle through everybody.
 *
 * Exclusions that name somebody not in `participants`, or the same person twice,
 * constrain nothing and are ignored (the stores reject such exclusions on the way
 * in, and removing a participant removes theirs). A participant id listed twice
 * is a broken invariant of the caller, not a client error, and throws a plain Error.
 *
 * Throws DomainError `too_few_participants`, `infeasible_draw` (an
 * InfeasibleDrawError naming the blocking group) or `single_cycle_not_found`.
 * Deterministic for a given `random` state and input order.
 */
export function drawWithOutcome(input: DrawInput, random: Random, budgets?: Partial<DrawBudgets>): DrawOutcome {
  const { participants } = input;
  const n = participants.length;
  if (n < LIMITS.minParticipantsForDraw) {
    throw new DomainError(
      'too_few_participants',
      `A draw needs at least ${LIMITS.minParticipantsForDraw} participants; this exchange has ${n}.`,
    );
  }
  const limits = { ...defaultDrawBudgets(n), ...budgets };
  const graph = buildGraph(input);
  const { singleCycle } = input.rules;

  // Whether any valid assignment exists at all: cheap next to sampling, and it lets
  // an impossible draw fail at once, naming who blocks it.
  const matching = maximumMatching(graph, random);
  if (matching.size < n) throw infeasibleDrawError(participants, smallestBlockingGroup(graph, matching));

  const exact = rejectionIsHopeless(graph, singleCycle, limits.rejectionSteps)
    ? null
    : singleCycle
      ? sampleCycle(graph, random, limits.rejectionSteps)
      : sampleAssignment(graph, random, limits.rejectionSteps);
  if (exact !== null) return outcome(participants, exact, 'rejection');

  if (!singleCycle) {
    mixAssignment(graph, matching.receiverOf, random, limits.mixingSteps);
    return outcome(participants, matching.receiverOf, 'matching');
  }
  const search = searchCycle(graph, random, limits.cycleSearchSteps);
  if (!search.found) throw singleCycleNotFoundError(search);
  mixCycle(graph, search.receiverOf, random, limits.mixingSteps);
  return outcome(participants, search.receiverOf, 'cycle-search');
}

function outcome(participants: DrawInput['participants'], receiverOf: Int32Array, method: DrawMethod): DrawOutcome {
  const assignments = new Array<Assignment>(participants.length);
  for (let giver = 0; giver < participants.length; giver++) {
    assignments[giver] = { giverId: participants[giver].id, receiverId: participants[receiverOf[giver]].id };
  }
  return { assignments, method };
}

/** `drawWithOutcome` without the method. */
export function drawAssignments(input: DrawInput, random: Random, budgets?: Partial<DrawBudgets>): Assignment[] {
  return drawWithOutcome(input, random, budgets).assignments;
}

/** The store's `compute` for a real draw: the CSPRNG unless told otherwise. */
export function createDrawFunction(random: Random = cryptoRandom, budgets?: Partial<DrawBudgets>): DrawFunction {
  return (input) => drawAssignments(input, random, budgets);
}

/**
 * Whether the exact sampler has under a 1% chance of finishing within its budget,
 * so that trying would only waste the budget. Deciding this from the input alone,
 * not from any random outcome, leaves the sampler exact whenever it runs.
 *
 * A random candidate breaks each of the m forbidden (giver, receiver) pairs (the
 * exclusions, plus everybody drawing themselves unless the candidate is a cycle)
 * with probability about 1/n, and nearly independently, so it is valid with
 * probability about e^(-m/n) (a Poisson approximation; it is within a few percent
 * for random exclusions and for households alike, and when exclusions pile up on a
 * few people it errs towards trying). A rejected attempt runs about n²/m steps.
 */
function rejectionIsHopeless(graph: ExclusionGraph, singleCycle: boolean, stepBudget: number): boolean {
  const n = graph.size;
  const forbiddenPairs = graph.exclusionCount + (singleCycle ? 0 : n);
  if (forbiddenPairs === 0) return false;
  const expectedSteps = ((n * n) / forbiddenPairs) * Math.exp(forbiddenPairs / n);
  // Success within B steps has probability about 1 - e^(-B / expected) < 1 - e^(-0.01).
  return expectedSteps > 100 * stepBudget;
}

function buildGraph(input: DrawInput): ExclusionGraph {
  const indexOf = new Map<string, number>();
  input.participants.forEach((participant, index) => {
    if (indexOf.has(participant.id)) throw new Error(`Draw input lists participant ${participant.id} twice`);
    indexOf.set(participant.id, index);
  });
  const givers = new Int32Array(input.exclusions.length);
  const receivers = new Int32Array(input.exclusions.length);
  let count = 0;
  for (const { giverId, receiverId } of input.exclusions) {
    const giver = indexOf.get(giverId);
    const receiver = indexOf.get(receiverId);
    if (giver === undefined || receiver === undefined) continue;
    givers[count] = giver;
    receivers[count] = receiver;
    count++;
  }
  return new ExclusionGraph(input.participants.length, givers.subarray(0, count), receivers.subarray(0, count));
}
