import type { TargetSummary } from './report';

/**
 * A model of what a target would serve with more cores, from the CPU it spent per
 * request in a capacity run. It is a model, not a measurement: it assumes CPU is the
 * only limit, that the cost per request stays what it was here, and that the load
 * generator runs on another machine.
 *
 * - Everything the target runs (app processes, PostgreSQL, Redis, nginx) shares the
 *   cores: at most `cores × 1000 / serverMs` req/s.
 * - One Node process runs its requests on one event loop: a single-process stage
 *   serves at most `1000 / appMs`; a stage of replicas runs one process per core.
 * - Redis runs commands on one thread: at most `1000 / redisMs`.
 * - Latency targets are met below full use of the CPU: the bound is scaled by the
 *   share of its own bound the target reached on this machine (`efficiency`), where
 *   k6 shared the cores too; never by more than 1, since no target serves past its bound.
 */
export interface ScalingModel {
  target: string;
  /** CPU milliseconds per request of each process group but k6, summed. */
  serverMs: number;
  appMs: number;
  redisMs: number | null;
  k6Ms: number;
  /** Whether the app runs as several processes behind nginx. */
  replicated: boolean;
  /** This machine's bound with k6 sharing the cores: cores × 1000 / (serverMs + k6Ms), or one event loop's. */
  boundHere: number;
  measured: number;
  /** measured / boundHere. Above 1 when the CPU per request at the capacity step was below the ramp's average. */
  efficiency: number;
  projections: Array<{ cores: number; rps: number; limit: ScalingLimit }>;
}

export type ScalingLimit = 'all cores' | 'one event loop' | 'one Redis thread';

export const PROJECTED_CORES = [2, 4, 8, 16] as const;

function bound(cores: number, server: number, app: number, redis: number | null, replicated: boolean): { rps: number; limit: ScalingLimit } {
  const candidates: Array<{ rps: number; limit: ScalingLimit }> = [{ rps: (cores * 1000) / server, limit: 'all cores' }];
  if (!replicated) candidates.push({ rps: 1000 / app, limit: 'one event loop' });
  if (redis !== null && redis > 0) candidates.push({ rps: 1000 / redis, limit: 'one Redis thread' });
  return candidates.reduce((lowest, candidate) => (candidate.rps < lowest.rps ? candidate : lowest));
}

/** The model for each target of a capacity comparison that has the CPU figures for it. */
export function scalingModels(targets: readonly TargetSummary[], cores: number): ScalingModel[] {
  return targets.flatMap((one): ScalingModel[] => {
    const { app, k6 } = one.cpuPer1k;
    if (one.capacity === null || !(one.capacity > 0) || app === undefined || !(app > 0) || k6 === undefined || !(k6 >= 0)) return [];
    const groupMs = (group: string) => {
      const value = one.cpuPer1k[group];
      return value === undefined || Number.isNaN(value) ? null : value;
    };
    const redis = groupMs('redis');
    const serverMs = Object.keys(one.cpuPer1k)
      .filter((group) => group !== 'k6')
      .reduce((sum, group) => sum + (groupMs(group) ?? 0), 0);
    const replicated = groupMs('nginx') !== null;
    const here = bound(cores, serverMs + k6, app, redis, replicated).rps;
    const efficiency = one.capacity / here;
    return [
      {
        target: one.target,
        serverMs,
        appMs: app,
        redisMs: redis,
        k6Ms: k6,
        replicated,
        boundHere: here,
        measured: one.capacity,
        efficiency,
        projections: PROJECTED_CORES.map((projected) => {
          const { rps, limit } = bound(projected, serverMs, app, redis, replicated);
          return { cores: projected, rps: rps * Math.min(1, efficiency), limit };
        }),
      },
    ];
  });
}
