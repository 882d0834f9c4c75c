import { describe, expect, it } from 'vitest';
import { barChart, combine, escapeXml, formatTick, lineChart, linearScale, linearTicks, logScale, logTicks, niceStep } from './svg';

/** A strict enough check of well-formedness for what this module writes: balanced tags, quoted attributes, escaped text. */
function assertWellFormed(svg: string): void {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const stack: string[] = [];
  for (const match of svg.matchAll(/<(\/?)([a-z]+)((?:\s+[A-Za-z:-]+="[^"<>]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (selfClosing) continue;
    if (closing) expect(stack.pop()).toBe(name);
    else stack.push(name as string);
  }
  expect(stack).toEqual([]);
  const withoutTags = svg.replace(/<[^>]*>/g, '');
  expect(withoutTags).not.toMatch(/[<>]/);
  expect(withoutTags).not.toMatch(/&(?!amp;|lt;|gt;|quot;|apos;)/);
}

describe('scales and ticks', () => {
  it('picks steps of 1, 2 or 5 times a power of ten', () => {
    expect(niceStep(100)).toBe(20);
    expect(niceStep(7)).toBe(2);
    expect(niceStep(0.3)).toBe(0.1);
    expect(niceStep(0)).toBe(1);
    expect(linearTicks(93)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(linearTicks(40)).toEqual([0, 10, 20, 30, 40]);
  });

  it('maps domains onto ranges, linear and logarithmic', () => {
    const y = linearScale([0, 100], [300, 0]);
    expect(y(0)).toBe(300);
    expect(y(50)).toBe(150);
    const x = logScale([1_000, 1_000_000], [0, 300]);
    expect(x(1_000)).toBeCloseTo(0);
    expect(x(10_000)).toBeCloseTo(100);
    expect(x(1_000_000)).toBeCloseTo(300);
    expect(logTicks(1_000, 1_000_000)).toEqual([1_000, 10_000, 100_000, 1_000_000]);
    expect(logTicks(2, 3)).toEqual([1, 10]);
  });

  it('formats ticks briefly', () => {
    expect(formatTick(1_500)).toBe('1.5k');
    expect(formatTick(1_000_000)).toBe('1M');
    expect(formatTick(20)).toBe('20');
    expect(formatTick(2.5)).toBe('2.5');
    expect(formatTick(0.25)).toBe('0.25');
    expect(formatTick(0)).toBe('0');
  });

  it('escapes text', () => {
    expect(escapeXml(`<a & "b" 'c'>`)).toBe('&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;');
  });
});

describe('charts', () => {
  const bars = barChart({
    title: 'p95 <ms> & more',
    yLabel: 'ms',
    categories: ['round 1', 'round 2'],
    series: [
      { name: 'A', values: [10, 20] },
      { name: 'B', values: [5, null] },
    ],
    reference: { value: 50, label: 'SLO' },
  });

  it('draws a well-formed bar chart, one bar per value, scaled to the largest', () => {
    assertWellFormed(bars);
    const rects = [...bars.matchAll(/<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)" fill="#[0-9a-f]+"><title>/g)].map((m) => ({ y: Number(m[1]), height: Number(m[2]) }));
    expect(rects).toHaveLength(3);
    // Heights are proportional to the values: 10, 20, 5 on an axis that reaches the 50 ms reference.
    const [a1, b1, a2] = rects.map((rect) => rect.height) as [number, number, number];
    expect(a2 / a1).toBeCloseTo(2, 1);
    expect(a1 / b1).toBeCloseTo(2, 1);
    expect(bars).toContain('p95 &lt;ms&gt; &amp; more');
    expect(bars).toContain('stroke-dasharray');
  });

  it('is deterministic', () => {
    expect(barChart({ title: 't', yLabel: 'y', categories: ['a'], series: [{ name: 's', values: [1] }] })).toBe(
      barChart({ title: 't', yLabel: 'y', categories: ['a'], series: [{ name: 's', values: [1] }] }),
    );
  });

  it('draws lines with gaps on a log axis', () => {
    const lines = lineChart({
      title: 'growth',
      yLabel: 'p95 ms',
      x: [1_000, 10_000, 100_000, 1_000_000],
      series: [
        { name: '02', values: [1, 1.1, 1.2, 1.3] },
        { name: '01', values: [2, 20, null, null] },
      ],
      logX: true,
      logY: true,
    });
    assertWellFormed(lines);
    expect(lines.match(/<polyline/g)).toHaveLength(2);
    expect(lines.match(/<circle/g)).toHaveLength(6);
    const [x0, x1, x2, x3] = [...lines.matchAll(/<circle cx="([^"]+)"/g)].slice(0, 4).map((m) => Number(m[1])) as [number, number, number, number];
    // Equal steps on a log axis for sizes ten times apart.
    expect(x1 - x0).toBeCloseTo(x3 - x2, 0);
  });

  it('combines charts side by side into one well-formed file', () => {
    const both = combine([bars, bars]);
    assertWellFormed(both);
    expect(both).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1280" height="320"/);
    expect(both).toContain('<svg x="640" y="0"');
  });
});
