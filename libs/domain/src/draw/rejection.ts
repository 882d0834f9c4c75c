import type { Random } from '../random';
import { type ExclusionGraph, identity } from './graph';

/**
 * Exact samplers. Each builds a uniformly random candidate one position at a time
 * and throws it away at the first position that breaks a rule, then starts over.
 *
 * Why this is exactly uniform: an attempt that runs to the end produces every
 * candidate with the same probability, and it runs to the end exactly when the
 * candidate is valid; stopping a doomed attempt early only saves the work of
 * finishing it. So every valid candidate is equally likely to be accepted.
 *
 * Why the budget keeps it exact: every accepted attempt takes the same number of
 * steps (n, or n - 1 for a cycle), and an attempt only starts if that many steps
 * remain. Whether the budget runs out therefore depends on the rejected attempts,
 * never on which valid candidate an attempt would have produced.
 *
 * Expected cost: if a random candidate is valid with probability p, about 1/p
 * attempts, most of them abandoned early. When each person excludes k others out
 * of many, p ≈ e^-(k + 1) for an assignment (the 1 is for drawing oneself) and
 * e^-k for a single cycle.
 */

/**
 * A uniformly random valid assignment (`receiverOf[giver]`), or null when `stepBudget`
 * runs out first. A step places one receiver.
 */
export function sampleAssignment(graph: ExclusionGraph, random: Random, stepBudget: number): Int32Array | null {
  const n = graph.size;
  // Fisher-Yates from any starting order is uniform, so the receivers an abandoned
  // attempt left behind need no reset.
  const receivers = identity(n);
  let steps = 0;
  while (steps + n <= stepBudget) {
    let giver = 0;
    for (; giver < n; giver++) {
      const pick = giver + random.int(n - giver);
      const receiver = receivers[pick];
      receivers[pick] = receivers[giver];
      receivers[giver] = receiver;
      steps++;
      if (!graph.isAllowed(giver, receiver)) break;
    }
    if (giver === n) return receivers;
  }
  return null;
}

/**
 * A uniformly random valid single cycle through everybody (`receiverOf[giver]`), or
 * null when `stepBudget` runs out first. A step places one person on the cycle.
 *
 * A cycle through n people is the same thing as an order in which participant 0
 * visits the other n - 1, and there are (n - 1)! of each, so a uniformly random
 * order (Fisher-Yates) gives a uniformly random cycle. This is the distribution of
 * Sattolo's algorithm, built so that each step fixes one edge of the cycle and can
 * be checked at once, and so that the order left by an abandoned attempt needs no
 * reset.
 */
export function sampleCycle(graph: ExclusionGraph, random: Random, stepBudget: number): Int32Array | null {
  const n = graph.size;
  const others = identity(n).subarray(1);
  const receiverOf = new Int32Array(n);
  let steps = 0;
  while (steps + n - 1 <= stepBudget) {
    let previous = 0;
    let position = 0;
    for (; position < n - 1; position++) {
      const pick = position + random.int(n - 1 - position);
      const next = others[pick];
      others[pick] = others[position];
      others[position] = next;
      steps++;
      if (!graph.isAllowed(previous, next)) break;
      receiverOf[previous] = next;
      previous = next;
    }
    if (position === n - 1 && graph.isAllowed(previous, 0)) {
      receiverOf[previous] = 0;
      return receiverOf;
    }
  }
  return null;
}
