import type { Random } from '../random';
import type { ExclusionGraph } from './graph';

/**
 * Markov chains that scramble a valid assignment found by a fallback, keeping it
 * valid at every step.
 *
 * Each step proposes a small random change and keeps it only if the result is
 * still valid. A proposal and its reverse are equally likely (the chains are
 * symmetric), so the uniform distribution over the valid assignments the moves can
 * reach from the start is stationary: the longer a chain runs, the closer its
 * result gets to uniform over those. Two honest limits: the chain runs a fixed
 * number of steps, so it is near uniform at best; and exclusions can cut the
 * valid assignments into groups no sequence of moves connects, so some may be
 * unreachable from where the fallback started.
 */

/**
 * Moves on an assignment (`receiverOf[giver]`): with even odds, two givers swap
 * receivers, or three givers pass theirs round.
 */
export function mixAssignment(graph: ExclusionGraph, receiverOf: Int32Array, random: Random, steps: number): void {
  const n = graph.size;
  for (let step = 0; step < steps; step++) {
    const a = random.int(n);
    const b = random.int(n);
    if (a === b) continue;
    const receiverA = receiverOf[a];
    const receiverB = receiverOf[b];
    if (random.int(2) === 0) {
      if (graph.isAllowed(a, receiverB) && graph.isAllowed(b, receiverA)) {
        receiverOf[a] = receiverB;
        receiverOf[b] = receiverA;
      }
      continue;
    }
    const c = random.int(n);
    if (c === a || c === b) continue;
    const receiverC = receiverOf[c];
    if (graph.isAllowed(a, receiverB) && graph.isAllowed(b, receiverC) && graph.isAllowed(c, receiverA)) {
      receiverOf[a] = receiverB;
      receiverOf[b] = receiverC;
      receiverOf[c] = receiverA;
    }
  }
}

/**
 * Moves on a single cycle (`receiverOf[giver]`): one person leaves their place and
 * steps in between two others elsewhere on the cycle, which stays one cycle.
 */
export function mixCycle(graph: ExclusionGraph, receiverOf: Int32Array, random: Random, steps: number): void {
  const n = graph.size;
  const giverOf = new Int32Array(n);
  for (let giver = 0; giver < n; giver++) giverOf[receiverOf[giver]] = giver;
  for (let step = 0; step < steps; step++) {
    const moving = random.int(n);
    const before = random.int(n);
    // `before -> after` is the edge `moving` steps into; it must not touch `moving`.
    if (before === moving || receiverOf[before] === moving) continue;
    const after = receiverOf[before];
    const oldGiver = giverOf[moving];
    const oldReceiver = receiverOf[moving];
    if (
      graph.isAllowed(oldGiver, oldReceiver) &&
      graph.isAllowed(before, moving) &&
      graph.isAllowed(moving, after)
    ) {
      receiverOf[oldGiver] = oldReceiver;
      giverOf[oldReceiver] = oldGiver;
      receiverOf[before] = moving;
      giverOf[moving] = before;
      receiverOf[moving] = after;
      giverOf[after] = moving;
    }
  }
}
