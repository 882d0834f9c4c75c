import { type Random, shuffle } from '../random';
import { type ExclusionGraph, identity } from './graph';

/** Givers matched to receivers; -1 where unmatched. */
export interface Matching {
  receiverOf: Int32Array;
  giverOf: Int32Array;
  size: number;
}

/**
 * A maximum matching of givers to receivers they may draw: Hopcroft-Karp, started
 * from a random greedy matching, with givers and receivers visited in random order.
 * The matching is perfect (size n) exactly when a valid assignment exists.
 *
 * Each Hopcroft-Karp phase costs O(n + exclusions) here instead of O(edges): a
 * breadth-first search over the complement keeps the receivers not yet reached in
 * a list and, for each giver, takes out every receiver it may draw; a receiver
 * left in the list is one the giver excludes, so the rescans are paid for by the
 * exclusions. The depth-first search does the same within each layer. At most
 * O(√n) phases run (Hopcroft and Karp, 1973); from a greedy start, usually one or
 * two.
 */
export function maximumMatching(graph: ExclusionGraph, random: Random): Matching {
  const n = graph.size;
  const matching: Matching = {
    receiverOf: new Int32Array(n).fill(-1),
    giverOf: new Int32Array(n).fill(-1),
    size: 0,
  };
  const giverOrder = shuffle(identity(n), random);
  matchGreedily(graph, random, giverOrder, matching);
  if (matching.size < n) {
    const phases = new ShortestAugmentingPaths(graph, matching, giverOrder, shuffle(identity(n), random));
    while (matching.size < n) {
      if (phases.run() === 0) break;
    }
  }
  return matching;
}

// A few random picks per giver match almost everybody when exclusions are sparse;
// the phases below repair the rest.
const GREEDY_TRIES = 4;

function matchGreedily(graph: ExclusionGraph, random: Random, giverOrder: Int32Array, matching: Matching): void {
  const freeReceivers = identity(graph.size);
  let freeCount = graph.size;
  for (const giver of giverOrder) {
    for (let tries = 0; tries < GREEDY_TRIES && freeCount > 0; tries++) {
      const pick = random.int(freeCount);
      const receiver = freeReceivers[pick];
      if (!graph.isAllowed(giver, receiver)) continue;
      matching.receiverOf[giver] = receiver;
      matching.giverOf[receiver] = giver;
      matching.size++;
      freeReceivers[pick] = freeReceivers[--freeCount];
      break;
    }
  }
}

/** One Hopcroft-Karp phase per `run()`: the scratch arrays live as long as the matching search. */
class ShortestAugmentingPaths {
  private readonly n: number;
  /** Breadth-first layer of each giver; -1 when not reached. */
  private readonly layerOf: Int32Array;
  private readonly queue: Int32Array;
  private rootCount = 0;
  private readonly unreached: Int32Array;
  /** The receivers of layer d: `layerItems[layerStart[d] .. layerStart[d] + layerLength[d])`. */
  private readonly layerItems: Int32Array;
  private readonly layerStart: Int32Array;
  private readonly layerLength: Int32Array;
  /** The path being built by the depth-first search: giver, receiver tried, position reached in its layer. */
  private readonly pathGiver: Int32Array;
  private readonly pathReceiver: Int32Array;
  private readonly pathCursor: Int32Array;

  constructor(
    private readonly graph: ExclusionGraph,
    private readonly matching: Matching,
    private readonly giverOrder: Int32Array,
    private readonly receiverOrder: Int32Array,
  ) {
    const n = graph.size;
    this.n = n;
    this.layerOf = new Int32Array(n);
    this.queue = new Int32Array(n);
    this.unreached = new Int32Array(n);
    this.layerItems = new Int32Array(n);
    this.layerStart = new Int32Array(n + 1);
    this.layerLength = new Int32Array(n + 1);
    this.pathGiver = new Int32Array(n + 1);
    this.pathReceiver = new Int32Array(n + 1);
    this.pathCursor = new Int32Array(n + 1);
  }

  /** Augments along a maximal set of disjoint shortest augmenting paths; returns how many. */
  run(): number {
    const lastLayer = this.buildLayers();
    if (lastLayer < 0) return 0;
    let augmented = 0;
    for (let root = 0; root < this.rootCount; root++) {
      if (this.augmentFrom(this.queue[root], lastLayer)) augmented++;
    }
    this.matching.size += augmented;
    return augmented;
  }

  /**
   * Breadth-first search from every free giver along alternating paths (giver to a
   * receiver it may draw, receiver to the giver matched with it). Returns the layer
   * of the nearest free receiver, or -1 when none is reachable: then the matching
   * is maximum.
   */
  private buildLayers(): number {
    const { graph, n, layerOf, queue, unreached, layerItems, layerStart, layerLength } = this;
    const { receiverOf, giverOf } = this.matching;
    layerOf.fill(-1);
    let tail = 0;
    for (const giver of this.giverOrder) {
      if (receiverOf[giver] !== -1) continue;
      layerOf[giver] = 0;
      queue[tail++] = giver;
    }
    this.rootCount = tail;
    unreached.set(this.receiverOrder);
    let unreachedCount = n;
    let layerCount = 0;
    let itemCount = 0;
    let lastLayer = -1;
    for (let head = 0; head < tail && unreachedCount > 0; head++) {
      const giver = queue[head];
      const layer = layerOf[giver];
      if (lastLayer >= 0 && layer > lastLayer) break;
      if (layer === layerCount) {
        layerStart[layer] = itemCount;
        layerLength[layer] = 0;
        layerCount++;
      }
      for (let k = 0; k < unreachedCount; ) {
        const receiver = unreached[k];
        if (!graph.isAllowed(giver, receiver)) {
          k++;
          continue;
        }
        unreached[k] = unreached[--unreachedCount];
        layerItems[itemCount++] = receiver;
        layerLength[layer]++;
        const mate = giverOf[receiver];
        if (mate === -1) {
          lastLayer = layer;
        } else {
          layerOf[mate] = layer + 1;
          queue[tail++] = mate;
        }
      }
    }
    return lastLayer;
  }

  /**
   * Depth-first search for a shortest augmenting path from `root` through the
   * layers, without recursion (paths can be thousands of people long). Every
   * receiver tried leaves its layer: either the path now uses it, or no free
   * receiver lies beyond it. That keeps the paths of one phase disjoint and the
   * phase linear.
   */
  private augmentFrom(root: number, lastLayer: number): boolean {
    const { graph, layerItems, layerStart, layerLength, pathGiver, pathReceiver, pathCursor } = this;
    const { giverOf } = this.matching;
    let depth = 0;
    pathGiver[0] = root;
    pathCursor[0] = 0;
    while (depth >= 0) {
      const giver = pathGiver[depth];
      const start = layerStart[depth];
      let k = pathCursor[depth];
      let descended = false;
      while (k < layerLength[depth]) {
        const receiver = layerItems[start + k];
        if (!graph.isAllowed(giver, receiver)) {
          k++;
          continue;
        }
        layerItems[start + k] = layerItems[start + --layerLength[depth]];
        pathReceiver[depth] = receiver;
        const mate = giverOf[receiver];
        if (mate === -1) {
          this.flip(depth);
          return true;
        }
        if (depth < lastLayer) {
          pathCursor[depth] = k;
          depth++;
          pathGiver[depth] = mate;
          pathCursor[depth] = 0;
          descended = true;
          break;
        }
      }
      if (!descended) depth--;
    }
    return false;
  }

  /** Matches every giver on the path with the receiver it reached. */
  private flip(lastDepth: number): void {
    const { receiverOf, giverOf } = this.matching;
    for (let depth = 0; depth <= lastDepth; depth++) {
      const giver = this.pathGiver[depth];
      const receiver = this.pathReceiver[depth];
      receiverOf[giver] = receiver;
      giverOf[receiver] = giver;
    }
  }
}

/**
 * A group of people that makes every assignment impossible (a Hall violator):
 * `side: 'givers'`: `members` can only give to `counterparts` between them, and
 * there are fewer of those than of them; `side: 'receivers'`: only `counterparts`
 * can give to `members`, and there are fewer of those than of them.
 */
export interface BlockingGroup {
  side: 'givers' | 'receivers';
  /** Ascending. */
  members: number[];
  /** Ascending. */
  counterparts: number[];
}

/**
 * The smallest blocking group found from a maximum matching that is not perfect.
 *
 * From an unmatched giver u, follow alternating paths (to any receiver u may draw,
 * from a receiver to the giver matched with it, and so on). Every receiver reached
 * is matched, or the matching would not be maximum, and each leads to a distinct
 * giver reached; so the givers reached are one more than the receivers they may
 * draw: a blocking group. It is also minimal: no smaller part of it blocks (any
 * blocking group containing u and otherwise only matched givers is closed under
 * those paths, so contains all of them). The same walk from an unmatched receiver,
 * backwards, finds receivers too few people may give to.
 *
 * The result is the smallest such group over every unmatched person on both
 * sides. Finding a smallest blocking group of all is NP-hard in general (the
 * "Hall set" problem), so this one is minimal but not always the minimum.
 */
export function smallestBlockingGroup(graph: ExclusionGraph, matching: Matching): BlockingGroup {
  const n = graph.size;
  const unreached = new Int32Array(n);
  let best: BlockingGroup | null = null;
  for (const side of ['givers', 'receivers'] as const) {
    const mates = side === 'givers' ? matching.receiverOf : matching.giverOf;
    for (let start = 0; start < n; start++) {
      if (mates[start] !== -1) continue;
      const group = alternatingReach(graph, matching, side, start, best?.members.length ?? n + 1, unreached);
      if (group !== null) best = group;
    }
  }
  if (best === null) throw new Error('smallestBlockingGroup needs a matching that is maximum but not perfect');
  best.members.sort((a, b) => a - b);
  best.counterparts.sort((a, b) => a - b);
  return best;
}

/** The group reached from `start`, or null as soon as it reaches `sizeLimit` members. */
function alternatingReach(
  graph: ExclusionGraph,
  matching: Matching,
  side: 'givers' | 'receivers',
  start: number,
  sizeLimit: number,
  unreached: Int32Array,
): BlockingGroup | null {
  if (sizeLimit <= 1) return null;
  const members = [start];
  const counterparts: number[] = [];
  const mateOfCounterpart = side === 'givers' ? matching.giverOf : matching.receiverOf;
  for (let i = 0; i < unreached.length; i++) unreached[i] = i;
  let unreachedCount = unreached.length;
  for (let head = 0; head < members.length; head++) {
    const member = members[head];
    for (let k = 0; k < unreachedCount; ) {
      const counterpart = unreached[k];
      const allowed =
        side === 'givers' ? graph.isAllowed(member, counterpart) : graph.isAllowed(counterpart, member);
      if (!allowed) {
        k++;
        continue;
      }
      unreached[k] = unreached[--unreachedCount];
      const mate = mateOfCounterpart[counterpart];
      if (mate === -1) throw new Error('smallestBlockingGroup needs a maximum matching');
      counterparts.push(counterpart);
      members.push(mate);
      if (members.length >= sizeLimit) return null;
    }
  }
  return { side, members, counterparts };
}
