import type { TableName } from '@santa/domain';
import type { Capacity } from './capacity';
import type { RampOptions } from './args';
import type { GroupUsage, MachineUsage } from './proc';

/**
 * The raw record of a comparison: everything the Markdown and the chart are rendered
 * from, so the docs never carry a number that is not in a file like this.
 */
export interface ComparisonResult {
  schema: 'santa-compare/1';
  /** The file name without extension. */
  name: string;
  /** The command that reproduces this file. */
  command: string;
  git: { commit: string; dirty: boolean };
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  settings: ComparisonSettings;
  dataset: DatasetRecord;
  /** In the order they ran: round 1 of every target, then round 2, ... */
  runs: RunRecord[];
  /** Facts a reader needs that are not numbers: what was skipped and why. */
  notes: string[];
}

export interface ComparisonSettings {
  /** The first is the baseline of every ratio. */
  targets: string[];
  scenario: string;
  participants: number;
  rounds: number;
  /** Arrival rate of fixed-rate scenarios, requests per second; null for capacity ramps. */
  rate: number | null;
  /** The capacity staircase; null for fixed-rate scenarios. */
  ramp: (RampOptions & { rates: number[] }) | null;
  /** k6 durations, e.g. "30s". */
  duration: string;
  warmup: string;
  seed: number;
}

export interface DatasetRecord {
  seed: number;
  participants: number;
  /** Share of exchanges generated already drawn (below 1 when the workload joins open ones). */
  drawnRate: number;
  rows: Record<TableName, number> | null;
  /** Participant tokens in the k6 token file (an even sample of all of them). */
  tokensInFile: number;
  loads: Array<{ target: string; seconds: number; how: string }>;
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  kernel: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  versions: Record<string, string>;
}

/** The numbers of one measured k6 run, whatever shape its summary came in. */
export interface MeasuredRun {
  requests: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Share of failed requests, 0..1. */
  errorRate: number;
  droppedIterations: number;
  seconds: number;
}

export interface GroupRecord extends GroupUsage {
  /** CPU seconds per 1,000 requests of the run, i.e. CPU milliseconds per request. */
  cpuSecondsPer1kRequests: number;
}

export interface RunRecord {
  target: string;
  /** 1-based. */
  round: number;
  startedAt: string;
  /** From the spawn to the `ready` line. */
  startupSeconds: number;
  measured: MeasuredRun;
  /** Only for capacity ramps. */
  capacity: Capacity | null;
  /** app, postgres, redis, nginx, k6: those present in this run. */
  groups: Record<string, GroupRecord>;
  /** The whole machine over the measured window (absent in files written before it was recorded). */
  machine?: MachineUsage;
  /** Increase of the target's own counters over the measured window (`santa_cache_reads_total{view,result}`). */
  counters?: Record<string, number>;
  /** k6's own summary of the measured run, as k6 wrote it. */
  k6Summary: unknown;
}

/** Every adjacent pair and reference, the growth series, and where their files are. */
export interface LadderResult {
  schema: 'santa-ladder/1';
  /** The command of the latest run that added to this file. */
  command: string;
  /** Which run produced each part: a run of some `--parts` keeps the other parts of the file. */
  parts: Array<{ part: 'pairs' | 'capacity' | 'growth'; command: string; startedAt: string; finishedAt: string }>;
  git: { commit: string; dirty: boolean };
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  /** File names (without extension) of the comparisons, beside ladder.json. */
  comparisons: string[];
  /** The capacity comparison of the stages and references on `reveal`, if it ran. */
  capacity: string | null;
  /** The capacity comparison on `dashboard` (the organizers' read the cache serves too), if it ran. */
  capacityDashboard: string | null;
  growth: GrowthSeries | null;
  notes: string[];
}

export interface GrowthSeries {
  scenario: string;
  /**
   * The fixed rate of each stage, the same at every size. Stages that cannot hold the
   * common rate even on the smallest dataset (CSV) run at their own lower rate.
   */
  rates: Record<string, number>;
  sizes: number[];
  stages: string[];
  /** The comparison files of each size: one per rate, each with every stage at that rate that ran. */
  files: Record<string, string[]>;
  /** Stages left out at a size, and why. */
  skipped: Array<{ stage: string; participants: number; reason: string }>;
}
