/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const finite = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const middle = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? (finite[middle] as number) : ((finite[middle - 1] as number) + (finite[middle] as number)) / 2;
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** Min, median and max of the finite values; NaN everywhere for none. */
export function spread(values: readonly number[]): Spread {
  const finite = values.filter((value) => Number.isFinite(value));
  if (finite.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  return { min: Math.min(...finite), median: median(finite), max: Math.max(...finite) };
}

/** b / a, NaN when either is missing or a is zero. */
export function ratio(b: number, a: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === 0) return Number.NaN;
  return b / a;
}
