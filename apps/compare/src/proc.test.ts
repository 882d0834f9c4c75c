import { spawn, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  clockTicksPerSecond,
  descendantsNamed,
  groupTicks,
  parseMachineCpu,
  parseProcStat,
  processTree,
  readAllProcStats,
  readMemoryBytes,
  readProcStat,
  readStatusKiB,
  UsageMeter,
} from './proc';

function burnCpu(ms: number): void {
  const until = performance.now() + ms;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  expect(x).toBeGreaterThan(0);
}

describe('/proc readers', () => {
  it('parses a stat line whose command name holds spaces and parentheses', () => {
    const line = '4242 (odd) name (x)) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 30 7 3 20 0 1 0 12345 1000 200';
    expect(parseProcStat(line)).toEqual({ pid: 4242, ppid: 17, name: 'odd) name (x)', ownTicks: 280, childTicks: 10 });
  });

  it('rejects text that is not a stat line', () => {
    expect(() => parseProcStat('nothing here')).toThrow(/not a \/proc stat line/);
  });

  it('reads this process: its parent, its CPU time growing, its memory', () => {
    const before = readProcStat(process.pid);
    expect(before?.pid).toBe(process.pid);
    expect(before?.ppid).toBe(process.ppid);
    burnCpu(150);
    const after = readProcStat(process.pid);
    expect(after?.ownTicks).toBeGreaterThan(before?.ownTicks ?? Infinity);
    expect(readMemoryBytes(process.pid)).toBeGreaterThan(1024 * 1024);
    // The peak is read second: it can only have grown since the current size was read.
    const resident = readStatusKiB(process.pid, 'VmRSS');
    expect(readStatusKiB(process.pid, 'VmHWM')).toBeGreaterThanOrEqual(resident ?? Infinity);
  });

  it('answers null for a process that is gone', () => {
    const gone = spawnSync('true').pid as number;
    expect(readProcStat(gone)).toBeNull();
    expect(readMemoryBytes(gone)).toBeNull();
  });

  it('knows the clock tick rate', () => {
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
  });

  it('finds a child and a grandchild in the process tree', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore', detached: true });
    try {
      // Until the forked shell has exec'd sleep, the grandchild still goes by the shell's name.
      let sleeping: number[] = [];
      for (let attempt = 0; attempt < 250 && sleeping.length === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        sleeping = descendantsNamed(process.pid, 'sleep');
      }
      expect(sleeping).toHaveLength(1);
      expect(processTree([process.pid])).toContain(child.pid);
      expect(groupTicks([child.pid as number]).pids.length).toBe(2);
    } finally {
      // The shell leads its own process group: one signal ends it and its sleep.
      process.kill(-(child.pid as number), 'SIGKILL');
    }
  });

  it('meters a group, and a child that starts and exits inside the window through its reaper', async () => {
    const stats = readAllProcStats();
    expect(stats.get(process.pid)?.name).toBeTruthy();
    const meter = new UsageMeter({
      self: { roots: () => [process.pid] },
      children: { roots: () => descendantsNamed(process.pid, 'node'), reapedBy: process.pid },
    }, 50);
    meter.start();
    burnCpu(100);
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', 'const t = Date.now() + 300; let x = 0; while (Date.now() < t) x++;'], { stdio: 'ignore' });
      child.once('exit', () => resolve());
      child.once('error', reject);
    });
    const { groups: usage, machine } = meter.stop();
    expect(usage.self?.cpuSeconds).toBeGreaterThan(0);
    expect(usage.children?.cpuSeconds).toBeGreaterThan(0);
    expect(usage.self?.peakMemoryBytes).toBeGreaterThan(1024 * 1024);
    expect(usage.self?.pids).toContain(process.pid);
    // The machine was busy within what its cores allow, and the runner (this process) worked too. The
    // kernel keeps machine-wide and per-process times by different clocks, so over a window this short
    // the two are not compared.
    expect(machine.seconds).toBeGreaterThan(0.35);
    expect(machine.busySeconds).toBeGreaterThan(0);
    expect(machine.busySeconds).toBeLessThanOrEqual(machine.seconds * availableParallelism() + 0.05);
    expect(machine.runnerSeconds).toBeGreaterThan(0.05);
    expect(machine.stealSeconds).toBeGreaterThanOrEqual(0);
  });

  it("reads the machine's CPU from /proc/stat: busy, idle and stolen ticks summed over its cores", () => {
    const text = ['cpu  2084439 37027 609433 7174876 25831 0 70628 21001 0 0', 'cpu0 1021878 18060 286700 3636343 5993 0 32725 10403 0 0', 'intr 1 2 3'].join('\n');
    expect(parseMachineCpu(text)).toEqual({ busy: 2084439 + 37027 + 609433 + 0 + 70628, idle: 7174876 + 25831, steal: 21001 });
    expect(() => parseMachineCpu('intr 1 2 3')).toThrow(/no cpu line/);
    expect(() => parseMachineCpu('cpu  1 2 x')).toThrow(/not a \/proc\/stat cpu line/);
  });
});
