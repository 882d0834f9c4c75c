import { describe, expect, it } from 'vitest';
import { median, ratio, spread } from './stats';

describe('medians and ratios', () => {
  it('takes the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
    expect(median([Number.NaN, 5])).toBe(5);
  });

  it('spreads min, median and max', () => {
    expect(spread([1.2, 0.8, 1.0])).toEqual({ min: 0.8, median: 1.0, max: 1.2 });
    expect(spread([Number.NaN]).median).toBeNaN();
  });

  it('divides b by a, NaN for a missing or zero baseline', () => {
    expect(ratio(3, 2)).toBe(1.5);
    expect(ratio(3, 0)).toBeNaN();
    expect(ratio(Number.NaN, 2)).toBeNaN();
  });
});
