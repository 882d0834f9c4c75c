import { type Random, shuffle } from '../random';
import { type ExclusionGraph, identity } from './graph';

export type CycleSearchResult =
  | { found: true; receiverOf: Int32Array }
  /** `exhausted`: every possibility was tried, which proves that no single cycle exists. */
  | { found: false; exhausted: boolean; steps: number };

// Up to this many people the search keeps every candidate at every depth, so it is
// complete: given enough steps it finds a cycle whenever one exists. Above it, it
// keeps the best few per depth (bounded memory: about CANDIDATE_CELLS numbers).
const COMPLETE_UP_TO = 512;
const CANDIDATE_CELLS = 1 << 18;
const MIN_CANDIDATES = 16;

/**
 * A bounded, randomised backtracking search for one cycle through everybody in
 * which each person may draw the next.
 *
 * It grows a path from a random first person and always tries first the next
 * person with the fewest ways on (Warnsdorff's rule): the most constrained people
 * are placed while they still have somewhere to go. It gives up on a path as soon
 * as someone not yet placed can no longer give to anybody unplaced (unless they can
 * be last), or nobody unplaced may give to the first person any more (the cycle
 * could not close). Ties go to a random order. A step places one person;
 * `stepBudget` bounds the steps.
 *
 * Cost per step: O(candidates kept + exclusions of the people involved). "Ways on"
 * is the number of unplaced people minus the unplaced people one excludes; the
 * latter is kept per person and updated in O(exclusions) when someone is placed or
 * taken back, and people sit in buckets by it, so the most constrained come first
 * without scanning everybody.
 */
export function searchCycle(graph: ExclusionGraph, random: Random, stepBudget: number): CycleSearchResult {
  return new CycleSearch(graph, random).run(stepBudget);
}

class CycleSearch {
  private readonly n: number;
  private readonly start: number;
  private readonly placed: Uint8Array;
  private unplacedCount: number;
  /** How many people that are not placed yet each person excludes. */
  private readonly excludedUnplaced: Int32Array;
  /** Unplaced people bucketed by `excludedUnplaced`, as doubly linked lists. */
  private readonly bucketHead: Int32Array;
  private readonly nextInBucket: Int32Array;
  private readonly previousInBucket: Int32Array;
  /** No bucket above this one holds anybody. */
  private topBucket = 0;
  /** Unplaced people who may give to `start`. */
  private canCloseCount: number;

  private readonly path: Int32Array;
  private readonly width: number;
  private readonly candidates: Int32Array;
  private readonly candidateCount: Int32Array;
  private readonly candidateNext: Int32Array;
  /** Whether some depth kept fewer candidates than it had: then running out proves nothing. */
  private truncated = false;
  private readonly mark: Int32Array;
  private markEpoch = 0;

  constructor(
    private readonly graph: ExclusionGraph,
    random: Random,
  ) {
    const n = graph.size;
    this.n = n;
    this.placed = new Uint8Array(n);
    this.unplacedCount = n;
    this.excludedUnplaced = new Int32Array(n);
    this.bucketHead = new Int32Array(graph.maxExcluded + 1).fill(-1);
    this.nextInBucket = new Int32Array(n);
    this.previousInBucket = new Int32Array(n);
    for (const person of shuffle(identity(n), random)) {
      this.excludedUnplaced[person] = graph.excludedCount(person);
      this.insert(person);
    }
    this.start = random.int(n);
    const excludingStart = graph.excludingOffsets[this.start + 1] - graph.excludingOffsets[this.start];
    this.canCloseCount = n - 1 - excludingStart;

    this.path = new Int32Array(n);
    this.width = n <= COMPLETE_UP_TO ? n : Math.max(MIN_CANDIDATES, Math.floor(CANDIDATE_CELLS / n));
    this.candidates = new Int32Array(n * this.width);
    this.candidateCount = new Int32Array(n);
    this.candidateNext = new Int32Array(n);
    this.mark = new Int32Array(n);
  }

  run(stepBudget: number): CycleSearchResult {
    let depth = 0;
    this.place(this.start);
    this.path[0] = this.start;
    this.collectCandidates(0);
    let steps = 0;
    for (;;) {
      if (this.candidateNext[depth] === this.candidateCount[depth]) {
        if (depth === 0) return { found: false, exhausted: !this.truncated, steps };
        this.unplace(this.path[depth]);
        depth--;
        continue;
      }
      if (steps === stepBudget) return { found: false, exhausted: false, steps };
      steps++;
      const person = this.candidates[depth * this.width + this.candidateNext[depth]++];
      this.place(person);
      this.path[++depth] = person;
      if (this.unplacedCount === 0) return { found: true, receiverOf: this.cycle() };
      if (this.canCloseCount === 0) {
        this.unplace(person);
        depth--;
        continue;
      }
      this.collectCandidates(depth);
    }
  }

  private cycle(): Int32Array {
    const receiverOf = new Int32Array(this.n);
    for (let i = 0; i < this.n; i++) receiverOf[this.path[i]] = this.path[(i + 1) % this.n];
    return receiverOf;
  }

  /** Lists who may follow `path[depth]`, the most constrained first. */
  private collectCandidates(depth: number): void {
    const { graph, excludedUnplaced, bucketHead, nextInBucket, mark } = this;
    const current = this.path[depth];
    const remaining = this.unplacedCount;
    const base = depth * this.width;
    let count = 0;
    this.candidateNext[depth] = 0;
    this.candidateCount[depth] = 0;
    while (this.topBucket > 0 && bucketHead[this.topBucket] === -1) this.topBucket--;

    // Someone who excludes every other unplaced person can only come last.
    let mustBeLast = -1;
    if (remaining > 1 && this.topBucket === remaining - 1) {
      mustBeLast = bucketHead[this.topBucket];
      const another = nextInBucket[mustBeLast];
      if (another !== -1 || !graph.isAllowed(mustBeLast, this.start)) return;
    }

    const epoch = ++this.markEpoch;
    for (let k = graph.excludedOffsets[current]; k < graph.excludedOffsets[current + 1]; k++) {
      mark[graph.excludedReceivers[k]] = epoch;
    }
    for (let bucket = this.topBucket; bucket >= 0; bucket--) {
      for (let person = bucketHead[bucket]; person !== -1; person = nextInBucket[person]) {
        if (mark[person] === epoch || person === mustBeLast) continue;
        if (remaining === 1 ? !graph.isAllowed(person, this.start) : remaining - 1 - excludedUnplaced[person] === 0) {
          continue;
        }
        if (count === this.width) {
          this.truncated = true;
          this.candidateCount[depth] = count;
          return;
        }
        this.candidates[base + count++] = person;
      }
    }
    this.candidateCount[depth] = count;
  }

  private place(person: number): void {
    const { graph, excludedUnplaced, placed } = this;
    this.remove(person);
    placed[person] = 1;
    this.unplacedCount--;
    if (person !== this.start && graph.isAllowed(person, this.start)) this.canCloseCount--;
    for (let k = graph.excludingOffsets[person]; k < graph.excludingOffsets[person + 1]; k++) {
      const giver = graph.excludingGivers[k];
      if (placed[giver]) {
        excludedUnplaced[giver]--;
      } else {
        this.remove(giver);
        excludedUnplaced[giver]--;
        this.insert(giver);
      }
    }
  }

  private unplace(person: number): void {
    const { graph, excludedUnplaced, placed } = this;
    for (let k = graph.excludingOffsets[person]; k < graph.excludingOffsets[person + 1]; k++) {
      const giver = graph.excludingGivers[k];
      if (placed[giver]) {
        excludedUnplaced[giver]++;
      } else {
        this.remove(giver);
        excludedUnplaced[giver]++;
        this.insert(giver);
      }
    }
    placed[person] = 0;
    this.unplacedCount++;
    if (person !== this.start && graph.isAllowed(person, this.start)) this.canCloseCount++;
    this.insert(person);
  }

  private insert(person: number): void {
    const bucket = this.excludedUnplaced[person];
    const head = this.bucketHead[bucket];
    this.nextInBucket[person] = head;
    this.previousInBucket[person] = -1;
    if (head !== -1) this.previousInBucket[head] = person;
    this.bucketHead[bucket] = person;
    if (bucket > this.topBucket) this.topBucket = bucket;
  }

  private remove(person: number): void {
    const next = this.nextInBucket[person];
    const previous = this.previousInBucket[person];
    if (previous === -1) this.bucketHead[this.excludedUnplaced[person]] = next;
    else this.nextInBucket[previous] = next;
    if (next !== -1) this.previousInBucket[next] = previous;
  }
}
