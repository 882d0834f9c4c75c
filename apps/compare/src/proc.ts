import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/**
 * CPU time and memory of process groups, read from Linux's /proc. A group is every
 * process below some root pids (a stage and its children, the postmaster and its
 * backends), found again at each reading, so processes that start or exit during a
 * measured window are counted.
 */

export interface ProcStat {
  pid: number;
  ppid: number;
  /** The command name (at most 15 characters). */
  name: string;
  /** utime + stime, in clock ticks. */
  ownTicks: number;
  /** cutime + cstime: children that exited and were waited for, in clock ticks. */
  childTicks: number;
}

let cachedClockTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`), the unit of the CPU times in /proc. */
export function clockTicksPerSecond(): number {
  if (cachedClockTicks === undefined) {
    const answer = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (!Number.isInteger(answer) || answer <= 0) throw new Error(`getconf CLK_TCK answered "${answer}"`);
    cachedClockTicks = answer;
  }
  return cachedClockTicks;
}

/**
 * Parses /proc/<pid>/stat. The command name (field 2) is in parentheses and may hold
 * spaces and parentheses itself, so fields are counted from the last `)`.
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${text.slice(0, 80)}`);
  const pid = Number(text.slice(0, open).trim());
  // After the name: field 3 (state) is at index 0, so field n is at index n - 3.
  const fields = text.slice(close + 2).trim().split(' ');
  const field = (n: number) => {
    const value = Number(fields[n - 3]);
    if (!Number.isFinite(value)) throw new Error(`/proc stat field ${n} is not a number in: ${text.slice(0, 80)}`);
    return value;
  };
  return { pid, ppid: field(4), name: text.slice(open + 1, close), ownTicks: field(14) + field(15), childTicks: field(16) + field(17) };
}

/** The stat of one process, or null when it has exited. */
export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
}

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH';
}

/** Every live process's stat, read once. */
export function readAllProcStats(): Map<number, ProcStat> {
  const stats = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat) stats.set(stat.pid, stat);
  }
  return stats;
}

/** The machine's CPU time, summed over all cores, in clock ticks. */
export interface MachineCpuTicks {
  /** user, nice, system, irq and softirq: every process and the kernel working. */
  busy: number;
  /** idle and iowait. */
  idle: number;
  /** Time the hypervisor ran something else on this machine's virtual cores. */
  steal: number;
}

/** Parses the `cpu` line of /proc/stat (the sum over all cores). */
export function parseMachineCpu(text: string): MachineCpuTicks {
  const line = text.split('\n').find((candidate) => candidate.startsWith('cpu '));
  if (line === undefined) throw new Error('/proc/stat has no cpu line');
  // user nice system idle iowait irq softirq steal [guest guest_nice]; guest time is already in user.
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const fields = [user, nice, system, idle, iowait, irq, softirq, steal];
  if (fields.some((value) => value === undefined || !Number.isFinite(value))) throw new Error(`not a /proc/stat cpu line: ${line}`);
  const [u, n, sy, id, io, hi, si, st] = fields as number[];
  return { busy: u + n + sy + hi + si, idle: id + io, steal: st };
}

export function readMachineCpu(): MachineCpuTicks {
  return parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
}

/** The roots and all their live descendants. */
export function processTree(roots: readonly number[], stats: Map<number, ProcStat> = readAllProcStats()): number[] {
  const children = new Map<number, number[]>();
  for (const stat of stats.values()) {
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(stat.pid);
    else children.set(stat.ppid, [stat.pid]);
  }
  const found = new Set<number>();
  const queue = roots.filter((pid) => stats.has(pid));
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    if (found.has(pid)) continue;
    found.add(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return [...found].sort((a, b) => a - b);
}

/** The roots' trees without the trees of `excluded` (nginx inside a stage's tree, say). */
export function groupPids(roots: readonly number[], stats: Map<number, ProcStat>, excluded: readonly number[] = []): number[] {
  const cut = new Set(excluded.length === 0 ? [] : processTree(excluded, stats));
  return processTree(roots, stats).filter((pid) => !cut.has(pid));
}

/**
 * The CPU ticks a group has used so far: its processes' own time plus the time of
 * children they already reaped. A backend that exits during a window moves its ticks
 * into its parent's child time, so the difference of two readings still counts it.
 */
export function groupTicks(
  roots: readonly number[],
  stats: Map<number, ProcStat> = readAllProcStats(),
  excluded: readonly number[] = [],
): { ticks: number; pids: number[] } {
  const pids = groupPids(roots, stats, excluded);
  let ticks = 0;
  for (const pid of pids) {
    const stat = stats.get(pid) as ProcStat;
    ticks += stat.ownTicks + stat.childTicks;
  }
  return { ticks, pids };
}

/**
 * Memory a process really accounts for: its proportional set size (shared pages
 * divided among the processes that share them, so PostgreSQL's shared buffers are not
 * counted once per backend), or its resident set size where smaps_rollup is missing.
 */
export function readMemoryBytes(pid: number): number | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const pss = /^Pss:\s+(\d+) kB$/m.exec(rollup);
    if (pss) return Number(pss[1]) * 1024;
  } catch (error) {
    if (!isGone(error) && (error as NodeJS.ErrnoException).code !== 'EACCES') throw error;
  }
  return readStatusKiB(pid, 'VmRSS');
}

/** A `Vm*` line of /proc/<pid>/status in bytes (VmHWM is the peak resident set size), or null. */
export function readStatusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch (error) {
    if (isGone(error)) return null;
    throw error;
  }
}

export interface GroupUsage {
  cpuSeconds: number;
  /** The highest sum of the group's memory (see `readMemoryBytes`) seen by the sampler. */
  peakMemoryBytes: number;
  /** The processes seen in the group at the end of the window. */
  pids: number[];
}

/**
 * The whole machine over a metered window, to tell a clean run from one that something
 * outside the comparison disturbed: the machine is shared, so not every busy tick is ours.
 */
export interface MachineUsage {
  /** Wall-clock seconds of the window. */
  seconds: number;
  /** CPU seconds the machine's cores were busy, every process and the kernel counted. */
  busySeconds: number;
  /** CPU seconds the hypervisor took from this machine's cores for someone else. */
  stealSeconds: number;
  /** CPU seconds of the runner itself: reading /proc, starting k6, reading its output. */
  runnerSeconds: number;
}

export interface MeteredWindow {
  groups: Record<string, GroupUsage>;
  machine: MachineUsage;
}

export interface GroupSpec {
  /** The group's root processes now; called at every reading, so a restarted process is found. */
  roots(): readonly number[];
  /**
   * A process outside the group that reaps the group's processes (k6 is a child of the
   * runner): its child time joins the group, so a process that starts and exits inside
   * the window is still counted.
   */
  reapedBy?: number;
  /** Subtrees inside the roots' trees that belong to another group. */
  exclude?(): readonly number[];
}

/** Processes named `name` below `ancestor` (k6 below the runner, whatever spawned it). */
export function descendantsNamed(ancestor: number, name: string, stats: Map<number, ProcStat> = readAllProcStats()): number[] {
  return processTree([ancestor], stats).filter((pid) => pid !== ancestor && stats.get(pid)?.name === name);
}

/**
 * Measures named groups over a window: CPU by the difference of two readings, memory by
 * sampling every `sampleMs`.
 */
export class UsageMeter {
  private readonly startTicks = new Map<string, number>();
  private readonly peaks = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private machineAtStart: { cpu: MachineCpuTicks; at: bigint; runner: NodeJS.CpuUsage } | undefined;

  constructor(
    private readonly groups: Record<string, GroupSpec>,
    private readonly sampleMs = 1_000,
  ) {}

  private ticks(spec: GroupSpec, stats: Map<number, ProcStat>): { ticks: number; pids: number[] } {
    const tree = groupTicks(spec.roots(), stats, spec.exclude?.() ?? []);
    const reaper = spec.reapedBy === undefined ? undefined : stats.get(spec.reapedBy);
    return { ticks: tree.ticks + (reaper?.childTicks ?? 0), pids: tree.pids };
  }

  start(): void {
    this.machineAtStart = { cpu: readMachineCpu(), at: process.hrtime.bigint(), runner: process.cpuUsage() };
    const stats = readAllProcStats();
    for (const [name, spec] of Object.entries(this.groups)) {
      this.startTicks.set(name, this.ticks(spec, stats).ticks);
      this.peaks.set(name, 0);
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), this.sampleMs);
    this.timer.unref();
  }

  private sample(): void {
    const stats = readAllProcStats();
    for (const [name, spec] of Object.entries(this.groups)) {
      let total = 0;
      for (const pid of groupPids(spec.roots(), stats, spec.exclude?.() ?? [])) total += readMemoryBytes(pid) ?? 0;
      this.peaks.set(name, Math.max(this.peaks.get(name) ?? 0, total));
    }
  }

  /** Ends the window; call it before stopping any process of a group, or its last ticks are lost. */
  stop(): MeteredWindow {
    if (this.timer === undefined || this.machineAtStart === undefined) throw new Error('the meter was not started');
    clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    const stats = readAllProcStats();
    const hz = clockTicksPerSecond();
    const usage: Record<string, GroupUsage> = {};
    for (const [name, spec] of Object.entries(this.groups)) {
      const end = this.ticks(spec, stats);
      usage[name] = {
        cpuSeconds: Math.max(0, end.ticks - (this.startTicks.get(name) ?? 0)) / hz,
        peakMemoryBytes: this.peaks.get(name) ?? 0,
        pids: end.pids,
      };
    }
    const start = this.machineAtStart;
    const cpu = readMachineCpu();
    const runner = process.cpuUsage(start.runner);
    const machine: MachineUsage = {
      seconds: Number(process.hrtime.bigint() - start.at) / 1e9,
      busySeconds: (cpu.busy - start.cpu.busy) / hz,
      stealSeconds: (cpu.steal - start.cpu.steal) / hz,
      runnerSeconds: (runner.user + runner.system) / 1e6,
    };
    return { groups: usage, machine };
  }
}
