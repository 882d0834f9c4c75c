import type { TableName } from '@santa/domain';

/** Where a long step says how far it got. */
export interface ProgressSink {
  /** A table's step begins: its clock starts. */
  begin(step: string, table: TableName): void;
  /** `total` rows are expected, and `done` of them are done already. */
  expect(total: number, done?: number): void;
  /** `rows` more rows are done. */
  advance(rows: number): void;
  /** The table's step is over. */
  end(): void;
}

const nothing = () => undefined;

export const silentProgress: ProgressSink = { begin: nothing, expect: nothing, advance: nothing, end: nothing };

const numbers = new Intl.NumberFormat('en-US');
const decimals = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatCount(value: number): string {
  return numbers.format(Math.round(value));
}

export function formatSeconds(seconds: number): string {
  return decimals.format(seconds);
}

/**
 * Plain lines, one every `intervalMs` at most while a table is under way and one
 * when it ends: `copy participants  340,000/1,000,000  34.0%  52,310 rows/s`. Lines
 * rather than a redrawn bar, so a log or a pipe keeps all of them.
 */
export class LineProgress implements ProgressSink {
  private step = '';
  private table: TableName = 'exchanges';
  private total: number | null = null;
  private startedAt = 0;
  private doneAtStart = 0;
  private done = 0;
  private lastLine = 0;

  constructor(
    private readonly write: (line: string) => void,
    private readonly intervalMs = 2_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  begin(step: string, table: TableName): void {
    this.step = step;
    this.table = table;
    this.total = null;
    this.startedAt = this.now();
    this.lastLine = this.startedAt;
    this.doneAtStart = 0;
    this.done = 0;
  }

  expect(total: number, done = 0): void {
    this.total = total;
    this.doneAtStart = done;
    this.done = done;
  }

  advance(rows: number): void {
    this.done += rows;
    const now = this.now();
    if (now - this.lastLine < this.intervalMs) return;
    this.lastLine = now;
    const percent = this.total ? `  ${decimals.format((100 * this.done) / this.total)}%` : '';
    const total = this.total === null ? '' : `/${formatCount(this.total)}`;
    this.write(`${this.prefix()}  ${formatCount(this.done)}${total}${percent}  ${formatCount(this.rate(now))} rows/s`);
  }

  end(): void {
    const now = this.now();
    const seconds = (now - this.startedAt) / 1000;
    this.write(`${this.prefix()}  ${formatCount(this.done)} rows in ${formatSeconds(seconds)} s (${formatCount(this.rate(now))} rows/s)`);
  }

  private prefix(): string {
    return `${this.step} ${this.table.padEnd(18)}`;
  }

  private rate(now: number): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? (this.done - this.doneAtStart) / seconds : 0;
  }
}
