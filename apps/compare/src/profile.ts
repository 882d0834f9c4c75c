/**
 * `npm run profile -- <target> [options]`: runs a target under a fixed k6 load with
 * Node's own sampling profiler (`--cpu-prof`) in its app processes, and writes where
 * their CPU went during the measured window (the warm-up left out) as
 * docs/results/profile-<target>-<scenario>-<participants>.{json,md}.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkTargetName, DEFAULT_RATES, durationSeconds, positiveInteger, UsageError } from './args';
import { cleanUpOnSignals } from './cleanup';
import { freshTargetEnvironment, serviceVersions } from './compare';
import { summariseProfiles, type CpuProfile, type ProfileSummary } from './cpuprofile';
import { Lab } from './lab';
import { k6LoadRunner, k6Versions } from './load-runner';
import { gitState, isoNow, loadAverage, machineInfo } from './machine';
import { processTree, readAllProcStats } from './proc';
import type { MachineInfo, MeasuredRun } from './result';
import { startTarget } from './target-process';
import { knownTargets, repoRoot, targetSpec } from './targets';

export const PROFILE_SCENARIOS = ['reveal', 'dashboard', 'mixed'] as const;
type ProfileScenario = (typeof PROFILE_SCENARIOS)[number];

export const PROFILE_USAGE = `usage: npm run profile -- <target> [options]

Runs the target under a fixed k6 load with node --cpu-prof in its app processes and
writes docs/results/profile-<target>-<scenario>-<participants>.json and .md.

options:
  --scenario S        reveal | dashboard | mixed (default reveal)
  --participants N    dataset size (default 100000)
  --rate RPS          fixed arrival rate (default 1000; 5 for 01-csv)
  --duration D        the profiled window (default 20s)
  --warmup D          load before the window, not profiled (default 10s)
  --seed S            dataset seed (default 1)
  --top N             functions listed (default 25)
  --name NAME         result file name
  --out DIR           where the files go (default docs/results)`;

export interface ProfileOptions {
  target: string;
  scenario: ProfileScenario;
  participants: number;
  rate: number;
  duration: string;
  warmup: string;
  seed: number;
  top: number;
  name: string;
  outDir: string;
}

export function parseProfileArgs(argv: readonly string[], targets: readonly string[]): ProfileOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        scenario: { type: 'string' },
        participants: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        warmup: { type: 'string' },
        seed: { type: 'string' },
        top: { type: 'string' },
        name: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new UsageError('name one target to profile');
  const target = positionals[0] as string;
  if (target === 'bare-node') throw new UsageError('bare-node answers without the app: there is nothing of the project to profile');
  checkTargetName(target, targets);
  const scenario = (values.scenario ?? 'reveal') as ProfileScenario;
  if (!PROFILE_SCENARIOS.includes(scenario)) throw new UsageError(`--scenario must be one of ${PROFILE_SCENARIOS.join(', ')}, got "${values.scenario}"`);
  const participants = values.participants === undefined ? 100_000 : positiveInteger('participants', values.participants, 3, 10_000_000);
  const duration = values.duration ?? '20s';
  const warmup = values.warmup ?? '10s';
  durationSeconds(duration);
  durationSeconds(warmup);
  const name = values.name ?? `profile-${target.replace(':', '-')}-${scenario}-${participants}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) throw new UsageError(`--name may hold letters, digits, dot, dash and underscore, got "${name}"`);
  return {
    target,
    scenario,
    participants,
    rate: values.rate === undefined ? (DEFAULT_RATES[target] ?? 1_000) : positiveInteger('rate', values.rate, 1, 1_000_000),
    duration,
    warmup,
    seed: values.seed === undefined ? 1 : positiveInteger('seed', values.seed, 0, 2 ** 31 - 1),
    top: values.top === undefined ? 25 : positiveInteger('top', values.top, 1, 500),
    name,
    outDir: values.out ?? 'docs/results',
  };
}

export interface ProfileResult {
  schema: 'santa-profile/1';
  name: string;
  command: string;
  git: { commit: string; dirty: boolean };
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  settings: Omit<ProfileOptions, 'name' | 'outDir'>;
  measured: MeasuredRun;
  /** The app processes profiled: one, or one per replica. */
  processes: number;
  summary: ProfileSummary;
}

/** The processes that run the app itself: a stage's program (each replica's), or a reference server. */
function appProcesses(root: number): number[] {
  const programs = /(stages\/[^/]+\/src\/main\.ts|apps\/compare\/src\/ceiling\.ts)$/;
  return processTree([root], readAllProcStats()).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').some((arg) => programs.test(arg));
    } catch {
      return false;
    }
  });
}

/** V8 names the file CPU.<date>.<time>.<pid>.<thread>.<sequence>.cpuprofile; thread 0 is the main thread. */
function readProfiles(dir: string, pids: readonly number[]): CpuProfile[] {
  const wanted = new Set(pids.map(String));
  return readdirSync(dir)
    .filter((file) => {
      const parts = file.split('.');
      return file.endsWith('.cpuprofile') && wanted.has(parts[3] as string) && parts[4] === '0';
    })
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
}

const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

export async function runProfile(options: ProfileOptions, command: string, log: (line: string) => void): Promise<ProfileResult> {
  const lab = new Lab(join(tmpdir(), `santa-profile-${process.pid}-${Date.now()}`), log);
  const startedAt = isoNow();
  const git = gitState();
  const machine = machineInfo({});
  const spec = targetSpec(options.target);
  try {
    await lab.ensureServices(spec.services);
    // Reads need drawn exchanges; joins need open ones.
    const data = { participants: options.participants, seed: options.seed, drawnRate: options.scenario === 'mixed' ? 0.9 : 1 };
    log(`loading ${options.participants} participants into ${spec.name}`);
    await lab.loadData(spec, data, log);
    const tokens = await lab.tokensFile(data);

    const profileDir = join(lab.workDir, 'profiles');
    mkdirSync(profileDir, { recursive: true });
    const env = await freshTargetEnvironment(spec, lab, data);
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --cpu-prof --cpu-prof-dir=${profileDir}`.trim();
    const target = await startTarget({ spec, dataDir: lab.stageDataDir(spec.name, data), env, data, logFile: join(lab.workDir, 'stderr.log') });
    let measured: MeasuredRun;
    let window: { fromUs: number; toUs: number };
    let pids: number[];
    try {
      pids = appProcesses(target.pid);
      if (pids.length === 0) throw new Error(`found no app process below ${spec.name}'s runner (pid ${target.pid})`);
      log(`warming up ${spec.name} (${options.warmup} at ${options.rate} req/s)`);
      const load = { scenario: options.scenario, baseUrl: target.url, tokensFile: tokens.path, rate: options.rate };
      await k6LoadRunner({ ...load, duration: options.warmup, summaryFile: join(lab.workDir, 'warmup-summary.json') });
      log(`profiling ${spec.name} for ${options.duration}`);
      const fromUs = monotonicMicros();
      measured = (await k6LoadRunner({ ...load, duration: options.duration, summaryFile: join(lab.workDir, 'summary.json') })).measured;
      window = { fromUs, toUs: monotonicMicros() };
    } finally {
      // V8 writes the profile when the process exits, which the stages do on SIGTERM after draining.
      await target.stop();
    }
    const profiles = readProfiles(profileDir, pids);
    if (profiles.length !== pids.length) throw new Error(`expected ${pids.length} profiles (pids ${pids.join(', ')}), found ${profiles.length} in ${profileDir}`);
    machine.versions = { ...machine.versions, ...(await k6Versions()), ...serviceVersions(lab) };
    machine.loadAverageAtEnd = loadAverage();
    const { target: profiled, scenario, participants, rate, duration, warmup, seed, top } = options;
    return {
      schema: 'santa-profile/1',
      name: options.name,
      command,
      git,
      startedAt,
      finishedAt: isoNow(),
      machine,
      settings: { target: profiled, scenario, participants, rate, duration, warmup, seed, top },
      measured,
      processes: pids.length,
      summary: summariseProfiles(profiles, { repoRoot, ...window, top: options.top }),
    };
  } finally {
    await lab.dispose();
  }
}

const percent = (part: number, whole: number): string => (whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : 'n/a');
const cell = (text: string): string => text.replace(/\|/g, '\\|');

export function renderProfileMarkdown(result: ProfileResult): string {
  const { settings, summary, measured, machine } = result;
  const sampled = summary.busyMs + summary.idleMs;
  const lines = [
    `# CPU profile: ${settings.target}, ${settings.scenario} at ${settings.rate} req/s, ${settings.participants.toLocaleString('en-US')} participants`,
    '',
    `Node's sampling profiler (\`--cpu-prof\`) in ${result.processes === 1 ? 'the app process' : `each of the ${result.processes} app processes, merged`}, over the ${settings.duration} measured window after a ${settings.warmup} warm-up.`,
    `k6 sent ${measured.requests.toLocaleString('en-US')} requests (${measured.rps.toFixed(0)} req/s, p95 ${measured.p95Ms.toFixed(2)} ms, errors ${(measured.errorRate * 100).toFixed(2)}%, dropped iterations ${measured.droppedIterations}).`,
    `The app was busy ${percent(summary.busyMs, sampled)} of the sampled time: ${(summary.busyMs / Math.max(1, measured.requests)).toFixed(3)} ms of CPU per request.`,
    '',
    `- Machine: ${machine.cores} cores (${machine.cpuModel}), ${(machine.memoryBytes / 2 ** 30).toFixed(0)} GiB, Linux ${machine.kernel}; ${Object.entries(machine.versions)
      .map(([name, version]) => `${name} ${version}`)
      .join(', ')}`,
    `- Command: \`${result.command}\``,
    `- Commit: ${result.git.commit.slice(0, 12)}${result.git.dirty ? ' (with uncommitted changes)' : ''}; ${result.startedAt}`,
    '',
    '## Where the busy time goes',
    '',
    '`(native)` is code without a script (a native addon, a V8 builtin) charged to the part that called it.',
    '',
    '| part of the program | self time | share of busy time |',
    '|---|---:|---:|',
    ...summary.categories.map((one) => `| ${cell(one.category)} | ${one.selfMs.toFixed(0)} ms | ${percent(one.selfMs, summary.busyMs)} |`),
    '',
    `## The top ${summary.frames.length} functions by self time`,
    '',
    '| function | where | part | self time | share of busy time |',
    '|---|---|---|---:|---:|',
    ...summary.frames.map(
      (frame) => `| \`${cell(frame.function)}\` | ${frame.location ? `\`${cell(frame.location)}\`` : 'native'} | ${cell(frame.category)} | ${frame.selfMs.toFixed(0)} ms | ${percent(frame.selfMs, summary.busyMs)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

export function writeProfile(result: ProfileResult, outDir: string): { json: string; markdown: string } {
  mkdirSync(outDir, { recursive: true });
  const json = join(outDir, `${result.name}.json`);
  const markdown = join(outDir, `${result.name}.md`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(markdown, renderProfileMarkdown(result));
  return { json, markdown };
}

const isMain = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  cleanUpOnSignals();
  const argv = process.argv.slice(2);
  let options;
  try {
    options = parseProfileArgs(argv, knownTargets());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${PROFILE_USAGE}\n`);
    process.exit(2);
  }
  if (options === 'help') {
    process.stdout.write(`${PROFILE_USAGE}\n`);
  } else {
    const result = await runProfile(options, `npm run profile -- ${argv.join(' ')}`, log);
    const paths = writeProfile(result, options.outDir);
    log(`wrote ${paths.json} and ${paths.markdown}`);
  }
}
