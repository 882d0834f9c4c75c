/**
 * Small, dependency-free SVG charts for the result files: grouped bars and lines,
 * with linear or logarithmic axes and "nice" ticks. Output is deterministic (same
 * input, same bytes), so a re-rendered chart only changes when its numbers do.
 */

export const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'] as const;

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** Rounds coordinates so the files stay small and stable. */
function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

/** A step of 1, 2 or 5 times a power of ten giving about `count` intervals over [0, max]. */
export function niceStep(max: number, count = 5): number {
  if (!(max > 0)) return 1;
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return nice * power;
}

/** Ticks from 0 to the first multiple of a nice step at or above max. */
export function linearTicks(max: number, count = 5): number[] {
  const step = niceStep(max, count);
  const top = Math.max(step, Math.ceil(max / step - 1e-9) * step);
  const ticks: number[] = [];
  for (let i = 0; i * step <= top + step / 1e6; i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Powers of ten covering [min, max] (both > 0). */
export function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min));
  const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  for (let exponent = low; exponent <= high; exponent++) ticks.push(10 ** exponent);
  return ticks;
}

export function linearScale(domain: [number, number], range: [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0 || 1;
  return (value) => r0 + ((value - d0) / span) * (r1 - r0);
}

export function logScale(domain: [number, number], range: [number, number]): (value: number) => number {
  const scale = linearScale([Math.log10(domain[0]), Math.log10(domain[1])], range);
  return (value) => scale(Math.log10(value));
}

/** 1500 -> "1.5k", 2000000 -> "2M", 0.25 -> "0.25". */
export function formatTick(value: number): string {
  const abs = Math.abs(value);
  const trim = (text: string) => text.replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
  if (abs >= 1e6) return `${trim((value / 1e6).toFixed(1))}M`;
  if (abs >= 1e3) return `${trim((value / 1e3).toFixed(1))}k`;
  if (abs === 0 || abs >= 1) return trim(value.toFixed(1));
  return trim(value.toPrecision(2));
}

export interface Series {
  name: string;
  /** One value per category (bars) or per x (lines); NaN or null leaves a gap. */
  values: ReadonlyArray<number | null>;
}

interface Frame {
  width: number;
  height: number;
  title: string;
  yLabel: string;
  xLabel?: string;
}

const MARGIN = { top: 44, right: 16, bottom: 56, left: 64 };

function isValue(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function frameParts(frame: Frame, series: readonly Series[]): { plot: { x0: number; x1: number; y0: number; y1: number }; head: string[] } {
  const plot = { x0: MARGIN.left, x1: frame.width - MARGIN.right, y0: frame.height - MARGIN.bottom, y1: MARGIN.top };
  const head = [
    `<rect width="${frame.width}" height="${frame.height}" fill="#ffffff"/>`,
    `<text x="${n(frame.width / 2)}" y="18" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(frame.title)}</text>`,
    `<text transform="translate(14 ${n((plot.y0 + plot.y1) / 2)}) rotate(-90)" text-anchor="middle" font-size="11">${escapeXml(frame.yLabel)}</text>`,
  ];
  if (frame.xLabel) head.push(`<text x="${n((plot.x0 + plot.x1) / 2)}" y="${n(frame.height - 6)}" text-anchor="middle" font-size="11">${escapeXml(frame.xLabel)}</text>`);
  // The legend runs along the top, under the title.
  let x = plot.x0;
  series.forEach((one, index) => {
    const colour = PALETTE[index % PALETTE.length];
    head.push(`<rect x="${n(x)}" y="26" width="10" height="10" fill="${colour}"/>`);
    head.push(`<text x="${n(x + 14)}" y="35" font-size="11">${escapeXml(one.name)}</text>`);
    x += 24 + one.name.length * 6.5;
  });
  return { plot, head };
}

function yAxis(plot: { x0: number; x1: number; y0: number; y1: number }, ticks: number[], y: (value: number) => number): string[] {
  const parts: string[] = [];
  for (const tick of ticks) {
    const at = y(tick);
    parts.push(`<line x1="${n(plot.x0)}" x2="${n(plot.x1)}" y1="${n(at)}" y2="${n(at)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${n(plot.x0 - 6)}" y="${n(at + 4)}" text-anchor="end" font-size="10">${escapeXml(formatTick(tick))}</text>`);
  }
  parts.push(`<line x1="${n(plot.x0)}" x2="${n(plot.x0)}" y1="${n(plot.y0)}" y2="${n(plot.y1)}" stroke="#333"/>`);
  parts.push(`<line x1="${n(plot.x0)}" x2="${n(plot.x1)}" y1="${n(plot.y0)}" y2="${n(plot.y0)}" stroke="#333"/>`);
  return parts;
}

function wrap(width: number, height: number, parts: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>\n${parts.join('\n')}\n</svg>\n`;
}

export interface BarChartOptions extends Partial<Omit<Frame, 'title' | 'yLabel'>> {
  title: string;
  yLabel: string;
  categories: readonly string[];
  series: readonly Series[];
  /** A dashed horizontal line, e.g. an SLO. */
  reference?: { value: number; label: string };
}

/** Bars grouped by category, one colour per series; the value is printed above each bar. */
export function barChart(options: BarChartOptions): string {
  const frame: Frame = { width: options.width ?? 640, height: options.height ?? 320, title: options.title, yLabel: options.yLabel, xLabel: options.xLabel };
  const { plot, head } = frameParts(frame, options.series);
  const values = options.series.flatMap((one) => one.values.filter(isValue));
  const ticks = linearTicks(Math.max(0, ...values, options.reference?.value ?? 0));
  const y = linearScale([0, ticks[ticks.length - 1] as number], [plot.y0, plot.y1]);
  const parts = [...head, ...yAxis(plot, ticks, y)];
  const groupWidth = (plot.x1 - plot.x0) / Math.max(1, options.categories.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, options.series.length);
  options.categories.forEach((category, c) => {
    const groupX = plot.x0 + c * groupWidth + groupWidth * 0.1;
    options.series.forEach((one, s) => {
      const value = one.values[c];
      if (!isValue(value)) return;
      const x = groupX + s * barWidth;
      const top = y(value);
      parts.push(`<rect x="${n(x)}" y="${n(top)}" width="${n(barWidth - 1)}" height="${n(plot.y0 - top)}" fill="${PALETTE[s % PALETTE.length]}"><title>${escapeXml(`${one.name}, ${category}: ${formatTick(value)}`)}</title></rect>`);
      if (barWidth >= 18) parts.push(`<text x="${n(x + barWidth / 2)}" y="${n(top - 3)}" text-anchor="middle" font-size="9">${escapeXml(formatTick(value))}</text>`);
    });
    parts.push(`<text x="${n(plot.x0 + (c + 0.5) * groupWidth)}" y="${n(plot.y0 + 16)}" text-anchor="middle" font-size="11">${escapeXml(category)}</text>`);
  });
  if (options.reference) {
    const at = y(options.reference.value);
    parts.push(`<line x1="${n(plot.x0)}" x2="${n(plot.x1)}" y1="${n(at)}" y2="${n(at)}" stroke="#d62728" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${n(plot.x1)}" y="${n(at - 4)}" text-anchor="end" font-size="10" fill="#d62728">${escapeXml(options.reference.label)}</text>`);
  }
  return wrap(frame.width, frame.height, parts);
}

export interface LineChartOptions extends Partial<Omit<Frame, 'title' | 'yLabel'>> {
  title: string;
  yLabel: string;
  /** Positive x positions (a log axis), e.g. dataset sizes. */
  x: readonly number[];
  series: readonly Series[];
  logX?: boolean;
  logY?: boolean;
  reference?: { value: number; label: string };
}

/** One polyline with point markers per series; gaps where a value is missing. */
export function lineChart(options: LineChartOptions): string {
  const frame: Frame = { width: options.width ?? 640, height: options.height ?? 320, title: options.title, yLabel: options.yLabel, xLabel: options.xLabel };
  const { plot, head } = frameParts(frame, options.series);
  const values = options.series.flatMap((one) => one.values.filter(isValue)).filter((value) => !options.logY || value > 0);
  const xs = options.x.filter((value) => !options.logX || value > 0);
  const inner = { x0: plot.x0 + 24, x1: plot.x1 - 24 };
  const x = options.logX
    ? logScale([Math.min(...xs), Math.max(...xs)], [inner.x0, inner.x1])
    : linearScale([Math.min(...xs), Math.max(...xs)], [inner.x0, inner.x1]);
  let ticks: number[];
  let y: (value: number) => number;
  if (options.logY) {
    ticks = values.length > 0 ? logTicks(Math.min(...values), Math.max(...values, options.reference?.value ?? 0)) : [1, 10];
    y = logScale([ticks[0] as number, ticks[ticks.length - 1] as number], [plot.y0, plot.y1]);
  } else {
    ticks = linearTicks(Math.max(0, ...values, options.reference?.value ?? 0));
    y = linearScale([0, ticks[ticks.length - 1] as number], [plot.y0, plot.y1]);
  }
  const parts = [...head, ...yAxis(plot, ticks, y)];
  for (const value of options.x) {
    parts.push(`<text x="${n(x(value))}" y="${n(plot.y0 + 16)}" text-anchor="middle" font-size="11">${escapeXml(formatTick(value))}</text>`);
  }
  options.series.forEach((one, s) => {
    const colour = PALETTE[s % PALETTE.length];
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) parts.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${colour}" stroke-width="2"/>`);
      run = [];
    };
    options.x.forEach((at, i) => {
      const value = one.values[i];
      if (!isValue(value) || (options.logY && value <= 0)) {
        flush();
        return;
      }
      const px = x(at);
      const py = y(value);
      run.push(`${n(px)},${n(py)}`);
      parts.push(`<circle cx="${n(px)}" cy="${n(py)}" r="3" fill="${colour}"><title>${escapeXml(`${one.name} at ${formatTick(at)}: ${formatTick(value)}`)}</title></circle>`);
    });
    flush();
  });
  if (options.reference) {
    const at = y(options.reference.value);
    parts.push(`<line x1="${n(plot.x0)}" x2="${n(plot.x1)}" y1="${n(at)}" y2="${n(at)}" stroke="#d62728" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${n(plot.x1)}" y="${n(at - 4)}" text-anchor="end" font-size="10" fill="#d62728">${escapeXml(options.reference.label)}</text>`);
  }
  return wrap(frame.width, frame.height, parts);
}

/** Charts side by side (or stacked) in one file, each in its own nested viewport. */
export function combine(charts: readonly string[], layout: 'row' | 'column' = 'row'): string {
  const sized = charts.map((chart) => {
    const match = /^<svg [^>]*width="(\d+)" height="(\d+)"/.exec(chart);
    if (!match) throw new Error('combine takes charts made by this module');
    return { chart, width: Number(match[1]), height: Number(match[2]) };
  });
  let offset = 0;
  const parts = sized.map(({ chart, width, height }) => {
    const at = offset;
    offset += layout === 'row' ? width : height;
    const [x, y] = layout === 'row' ? [at, 0] : [0, at];
    return chart.trim().replace(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/, `<svg x="${x}" y="${y}"`);
  });
  const width = layout === 'row' ? offset : Math.max(...sized.map((one) => one.width));
  const height = layout === 'row' ? Math.max(...sized.map((one) => one.height)) : offset;
  return wrap(width, height, parts);
}
