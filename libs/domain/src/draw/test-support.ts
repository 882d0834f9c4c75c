import type { Assignment } from '../model';
import type { DrawInput } from '../port';

/**
 * For the draw's tests: slow, obviously correct reference answers (every
 * permutation, every subset; only usable for a handful of people), statistics, and
 * inputs built from participant numbers.
 */

export const NAMES = ['Ann', 'Bob', 'Cy', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal', 'Ida', 'Jo', 'Kim', 'Lou'];

/** Participant i is `id-i`, named NAMES[i] (or `P<i>`); `[g, r]` excludes g drawing r. */
export function drawInput(n: number, exclusions: Array<[number, number]> = [], singleCycle = false): DrawInput {
  return {
    participants: Array.from({ length: n }, (_, i) => ({ id: `id-${i}`, name: NAMES[i] ?? `P${i}` })),
    exclusions: exclusions.map(([g, r]) => ({ giverId: `id-${g}`, receiverId: `id-${r}` })),
    rules: { singleCycle },
  };
}

/** The `receiverOf` array of assignments drawn for a `drawInput`. */
export function receiverOf(input: DrawInput, assignments: Assignment[]): number[] {
  const indexOf = new Map(input.participants.map((p, i) => [p.id, i]));
  const result = new Array<number>(input.participants.length).fill(-1);
  for (const { giverId, receiverId } of assignments) {
    result[indexOf.get(giverId) as number] = indexOf.get(receiverId) as number;
  }
  return result;
}

/** The exclusions of a `drawInput` as a predicate. */
export function allowedIn(input: DrawInput): Allowed {
  const indexOf = new Map(input.participants.map((p, i) => [p.id, i]));
  const excluded = new Set(
    input.exclusions.map((e) => `${indexOf.get(e.giverId)}>${indexOf.get(e.receiverId)}`),
  );
  return (g, r) => g !== r && !excluded.has(`${g}>${r}`);
}

/** May giver `g` draw receiver `r`? */
export type Allowed = (g: number, r: number) => boolean;

/** Every permutation of 0..n-1, as `receiverOf` arrays. */
export function permutations(n: number): number[][] {
  const result: number[][] = [];
  const current: number[] = [];
  const used = new Array<boolean>(n).fill(false);
  const extend = (): void => {
    if (current.length === n) {
      result.push([...current]);
      return;
    }
    for (let r = 0; r < n; r++) {
      if (used[r]) continue;
      used[r] = true;
      current.push(r);
      extend();
      current.pop();
      used[r] = false;
    }
  };
  extend();
  return result;
}

export function isSingleCycle(receiverOf: ArrayLike<number>): boolean {
  let length = 0;
  let person = 0;
  do {
    person = receiverOf[person];
    length++;
  } while (person !== 0 && length <= receiverOf.length);
  return length === receiverOf.length;
}

/** Every valid assignment (or single cycle), each as its `receiverOf` joined by commas. */
export function validAssignments(n: number, allowed: Allowed, singleCycle: boolean): string[] {
  return permutations(n)
    .filter((receiverOf) => receiverOf.every((r, g) => g !== r && allowed(g, r)))
    .filter((receiverOf) => !singleCycle || isSingleCycle(receiverOf))
    .map((receiverOf) => receiverOf.join(','));
}

/**
 * Is `members` a blocking group? On the givers side: the receivers they may draw
 * between them are fewer than they are; on the receivers side: the givers who may
 * draw one of them are fewer than they are. Returns those counterparts too.
 */
export function counterpartsOf(
  n: number,
  allowed: Allowed,
  side: 'givers' | 'receivers',
  members: number[],
): number[] {
  const counterparts: number[] = [];
  for (let other = 0; other < n; other++) {
    const reaches = members.some((member) =>
      side === 'givers' ? member !== other && allowed(member, other) : member !== other && allowed(other, member),
    );
    if (reaches) counterparts.push(other);
  }
  return counterparts;
}

export function isBlocking(n: number, allowed: Allowed, side: 'givers' | 'receivers', members: number[]): boolean {
  return counterpartsOf(n, allowed, side, members).length < members.length;
}

/** Every subset of `items` except the empty one. */
export function subsets(items: number[]): number[][] {
  const result: number[][] = [];
  for (let mask = 1; mask < 1 << items.length; mask++) {
    result.push(items.filter((_, i) => (mask & (1 << i)) !== 0));
  }
  return result;
}

/** The size of a smallest blocking group on either side, or null when none exists. */
export function smallestBlockingSize(n: number, allowed: Allowed): number | null {
  let best: number | null = null;
  const everybody = Array.from({ length: n }, (_, i) => i);
  for (const members of subsets(everybody)) {
    if (best !== null && members.length >= best) continue;
    if (isBlocking(n, allowed, 'givers', members) || isBlocking(n, allowed, 'receivers', members)) {
      best = members.length;
    }
  }
  return best;
}

/**
 * The standard normal quantile, by Acklam's rational approximation (relative
 * error below 1.2e-9).
 */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number): number =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  const pLow = 0.02425;
  if (p < pLow) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - pLow) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * The chi-square value that `degrees` degrees of freedom exceed with probability
 * `alpha`, by the Wilson-Hilferty approximation (the cube root of a chi-square
 * variable divided by its degrees of freedom is nearly normal).
 */
export function chiSquareCritical(degrees: number, alpha: number): number {
  const z = normalQuantile(1 - alpha);
  const h = 2 / (9 * degrees);
  return degrees * (1 - h + z * Math.sqrt(h)) ** 3;
}

/** Pearson's statistic for observed counts against equal expected counts. */
export function chiSquareUniform(counts: number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
}

/** What is wrong with `assignments` as a draw of `input`; empty when nothing is. */
export function problemsWith(input: DrawInput, assignments: Assignment[]): string[] {
  const problems: string[] = [];
  const n = input.participants.length;
  const ids = new Set(input.participants.map((p) => p.id));
  const excluded = new Set(input.exclusions.map((e) => `${e.giverId}>${e.receiverId}`));
  const givers = new Set<string>();
  const receivers = new Set<string>();
  const next = new Map<string, string>();
  for (const { giverId, receiverId } of assignments) {
    if (!ids.has(giverId) || !ids.has(receiverId)) problems.push(`unknown id in ${giverId} -> ${receiverId}`);
    if (giverId === receiverId) problems.push(`${giverId} draws themselves`);
    if (excluded.has(`${giverId}>${receiverId}`)) problems.push(`${giverId} -> ${receiverId} is excluded`);
    givers.add(giverId);
    receivers.add(receiverId);
    next.set(giverId, receiverId);
  }
  if (assignments.length !== n || givers.size !== n || receivers.size !== n) {
    problems.push('not everybody gives once and receives once');
  } else if (input.rules.singleCycle) {
    const first = input.participants[0].id;
    let length = 0;
    let person = first;
    do {
      person = next.get(person) as string;
      length++;
    } while (person !== first && length <= n);
    if (length !== n) problems.push(`the cycle through ${first} has ${length} people, not ${n}`);
  }
  return problems;
}
