/**
 * Who may not give to whom. Participants are numbered 0..n-1; nobody may give to
 * themselves, a rule that is implicit and not stored.
 *
 * Exclusions are few next to the n² possible pairs, so the graph keeps the
 * excluded pairs, not the allowed ones, and every algorithm in this folder works on
 * that complement: its cost grows with n plus the number of exclusions, never
 * with n². The pairs sit in compressed sparse rows (one sorted run per person) in
 * both directions.
 */
export class ExclusionGraph {
  /** `excludedReceivers[excludedOffsets[g] .. excludedOffsets[g + 1])`: whom giver g may not draw, ascending. */
  readonly excludedOffsets: Int32Array;
  readonly excludedReceivers: Int32Array;
  /** `excludingGivers[excludingOffsets[r] .. excludingOffsets[r + 1])`: who may not draw receiver r, ascending. */
  readonly excludingOffsets: Int32Array;
  readonly excludingGivers: Int32Array;
  /** The largest number of people one giver excludes. */
  readonly maxExcluded: number;

  /**
   * `givers[k]` may not draw `receivers[k]`. Pairs may repeat and may name the same
   * person twice (both are harmless and dropped); indices must lie in `[0, size)`.
   */
  constructor(
    readonly size: number,
    givers: ArrayLike<number>,
    receivers: ArrayLike<number>,
  ) {
    const keys = new Float64Array(givers.length);
    let keyCount = 0;
    for (let k = 0; k < givers.length; k++) {
      if (givers[k] !== receivers[k]) keys[keyCount++] = givers[k] * size + receivers[k];
    }
    const sorted = keys.subarray(0, keyCount).sort();

    this.excludedOffsets = new Int32Array(size + 1);
    this.excludingOffsets = new Int32Array(size + 1);
    const pairGivers = new Int32Array(sorted.length);
    const pairReceivers = new Int32Array(sorted.length);
    let pairCount = 0;
    for (let k = 0; k < sorted.length; k++) {
      if (k > 0 && sorted[k] === sorted[k - 1]) continue;
      const giver = Math.floor(sorted[k] / size);
      const receiver = sorted[k] - giver * size;
      pairGivers[pairCount] = giver;
      pairReceivers[pairCount] = receiver;
      pairCount++;
      this.excludedOffsets[giver + 1]++;
      this.excludingOffsets[receiver + 1]++;
    }
    let maxExcluded = 0;
    for (let v = 0; v < size; v++) {
      maxExcluded = Math.max(maxExcluded, this.excludedOffsets[v + 1]);
      this.excludedOffsets[v + 1] += this.excludedOffsets[v];
      this.excludingOffsets[v + 1] += this.excludingOffsets[v];
    }
    this.maxExcluded = maxExcluded;

    // The pairs are sorted by giver, then receiver: the forward rows are already in
    // place, and a counting pass fills the reverse rows with their givers ascending.
    this.excludedReceivers = pairReceivers.slice(0, pairCount);
    this.excludingGivers = new Int32Array(pairCount);
    const fill = this.excludingOffsets.slice(0, size);
    for (let k = 0; k < pairCount; k++) {
      this.excludingGivers[fill[pairReceivers[k]]++] = pairGivers[k];
    }
  }

  get exclusionCount(): number {
    return this.excludedReceivers.length;
  }

  /** May `giver` draw `receiver`? */
  isAllowed(giver: number, receiver: number): boolean {
    if (giver === receiver) return false;
    const targets = this.excludedReceivers;
    let low = this.excludedOffsets[giver];
    let high = this.excludedOffsets[giver + 1];
    // Most people exclude a handful of others: a linear scan beats bisection there.
    if (high - low <= 8) {
      for (; low < high; low++) if (targets[low] === receiver) return false;
      return true;
    }
    while (low < high) {
      const middle = (low + high) >>> 1;
      const target = targets[middle];
      if (target === receiver) return false;
      if (target < receiver) low = middle + 1;
      else high = middle;
    }
    return true;
  }

  /** How many people `giver` excludes, themselves not counted. */
  excludedCount(giver: number): number {
    return this.excludedOffsets[giver + 1] - this.excludedOffsets[giver];
  }
}

/** `0, 1, ..., n - 1` */
export function identity(n: number): Int32Array {
  const values = new Int32Array(n);
  for (let i = 0; i < n; i++) values[i] = i;
  return values;
}
