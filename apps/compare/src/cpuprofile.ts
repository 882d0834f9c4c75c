/**
 * Where a Node process spends its CPU, from the `.cpuprofile` files V8 writes under
 * `node --cpu-prof`: self time per function and per part of the program (this
 * project's code, each npm package, Node's internals, native code, garbage
 * collection), over a chosen window of the run.
 */
import { relative, sep } from 'node:path';

/** The parts of V8's profile format read here (Chrome DevTools' `Profiler.Profile`). */
export interface CpuProfile {
  nodes: CpuProfileNode[];
  /** Microseconds on the monotonic clock, the one `process.hrtime` reads. */
  startTime: number;
  endTime: number;
  /** The node on top of the stack at each sample. */
  samples: number[];
  /** Microseconds from the previous sample (the first: from `startTime`). */
  timeDeltas: number[];
}

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface FrameCost {
  /** The function's name, `(anonymous)` when it has none. */
  function: string;
  /** `path:line` relative to the repository, `node:…` for Node's own modules, empty for native code. */
  location: string;
  /** See `categoryOf`. */
  category: string;
  selfMs: number;
}

export interface CategoryCost {
  category: string;
  selfMs: number;
}

export interface ProfileSummary {
  /** Processes whose profiles were merged (the replicas of a stage, say). */
  profiles: number;
  /** Time sampled inside the window while the process was running JavaScript or native code. */
  busyMs: number;
  /** Time inside the window the process spent waiting for work (the event loop idle). */
  idleMs: number;
  frames: FrameCost[];
  categories: CategoryCost[];
}

/** V8's pseudo-frames: not functions, but what the process was doing. */
// A Map, not an object literal: a function may well be named `constructor` or `toString`.
const PSEUDO_FRAMES = new Map<string, string>([
  ['(garbage collector)', 'garbage collection'],
  ['(program)', 'V8 and native, outside any function'],
  ['(idle)', 'idle'],
  ['(root)', 'idle'],
]);

/**
 * Which part of the program a frame belongs to: an npm package by name, `node:…` for
 * Node's built-in modules, `project: <package dir>` for this repository's code.
 */
export function categoryOf(url: string, repoRoot: string): string | null {
  if (url === '') return null;
  if (url.startsWith('node:')) return url.startsWith('node:internal/') ? 'node: internals' : `node: ${url.slice('node:'.length).split('/')[0]}`;
  const path = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  const modules = path.lastIndexOf(`${sep}node_modules${sep}`);
  if (modules >= 0) {
    const [first, second] = path.slice(modules + '/node_modules/'.length).split(sep);
    return first?.startsWith('@') ? `${first}/${second}` : (first ?? path);
  }
  const inRepo = relative(repoRoot, path);
  if (!inRepo.startsWith('..')) {
    const [top, name] = inRepo.split(sep);
    return `project: ${top}/${name}`;
  }
  return path;
}

function locationOf(frame: CpuProfileNode['callFrame'], repoRoot: string): string {
  if (frame.url === '') return '';
  if (frame.url.startsWith('node:')) return `${frame.url}:${frame.lineNumber + 1}`;
  const path = frame.url.startsWith('file://') ? decodeURIComponent(new URL(frame.url).pathname) : frame.url;
  const modules = path.lastIndexOf(`${sep}node_modules${sep}`);
  const shown = modules >= 0 ? path.slice(modules + 1) : relative(repoRoot, path);
  return `${shown}:${frame.lineNumber + 1}`;
}

/**
 * Merges profiles and sums self time per function and per category, counting only
 * samples taken between `fromUs` and `toUs` (monotonic microseconds). A native frame
 * (no script: an addon's C++ or a V8 builtin) is charged to the category of the
 * JavaScript that called it, marked `(native)`, so a synchronous database call shows
 * up under the driver that made it.
 */
export function summariseProfiles(profiles: readonly CpuProfile[], options: { repoRoot: string; fromUs?: number; toUs?: number; top?: number }): ProfileSummary {
  const frames = new Map<string, FrameCost>();
  const categories = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;

  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parentOf = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
    const categoryCache = new Map<number, string>();
    const categoryOfNode = (id: number): string => {
      const known = categoryCache.get(id);
      if (known !== undefined) return known;
      const node = byId.get(id);
      const name = node?.callFrame.functionName ?? '';
      let category = PSEUDO_FRAMES.get(name) ?? categoryOf(node?.callFrame.url ?? '', options.repoRoot);
      if (category === null) {
        const parent = parentOf.get(id);
        const callerCategory = parent === undefined ? null : categoryOfNode(parent);
        category = callerCategory === null || callerCategory === 'idle' ? 'V8 and native, outside any function' : `${callerCategory.replace(/ \(native\)$/, '')} (native)`;
      }
      categoryCache.set(id, category);
      return category;
    };

    let time = profile.startTime;
    const times = profile.timeDeltas.map((delta) => (time += delta));
    for (let index = 0; index < profile.samples.length; index++) {
      const at = times[index] as number;
      // A sample stands for the time until the next one.
      const next = index + 1 < times.length ? (times[index + 1] as number) : profile.endTime;
      const duration = Math.max(0, next - at);
      if ((options.fromUs !== undefined && at < options.fromUs) || (options.toUs !== undefined && at >= options.toUs)) continue;
      const id = profile.samples[index] as number;
      const node = byId.get(id);
      if (!node) continue;
      const category = categoryOfNode(id);
      if (category === 'idle') {
        idleUs += duration;
        continue;
      }
      busyUs += duration;
      categories.set(category, (categories.get(category) ?? 0) + duration);
      const location = locationOf(node.callFrame, options.repoRoot);
      const name = node.callFrame.functionName || '(anonymous)';
      const key = `${name}\u0000${location}\u0000${category}`;
      const frame = frames.get(key) ?? { function: name, location, category, selfMs: 0 };
      frame.selfMs += duration / 1000;
      frames.set(key, frame);
    }
  }

  const byCost = <T extends { selfMs: number }>(a: T, b: T) => b.selfMs - a.selfMs;
  return {
    profiles: profiles.length,
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    frames: [...frames.values()].sort(byCost).slice(0, options.top ?? 30),
    categories: [...categories.entries()].map(([category, us]) => ({ category, selfMs: us / 1000 })).sort(byCost),
  };
}
