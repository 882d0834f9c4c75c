/**
 * The knobs of the scenarios, read from the environment (the process environment or
 * `k6 run -e NAME=value`). What each one means is documented in one place, the
 * "Knobs" table of apps/loadtest/README.md; the defaults are the ones below. A knob
 * that is set but malformed stops the run before any request is sent.
 */

export interface Config {
  baseUrl: string;
  tokensFile: string | undefined;
  summaryFile: string | undefined;
  rate: number;
  durationMs: number;
  preAllocatedVUs: number;
  maxVUs: number;
  sloP95Ms: number;
  startRate: number;
  maxRate: number;
  rampDurationMs: number;
  steps: number;
  workload: string;
}

export function readConfig(env: Record<string, string | undefined> = __ENV): Config {
  const config: Config = {
    baseUrl: loopbackBaseUrl(text(env, 'BASE_URL') ?? 'http://127.0.0.1:3000'),
    tokensFile: text(env, 'TOKENS_FILE'),
    summaryFile: text(env, 'SUMMARY_FILE'),
    rate: positiveInteger(env, 'RATE', 100),
    durationMs: duration(env, 'DURATION', '30s'),
    preAllocatedVUs: positiveInteger(env, 'PRE_ALLOCATED_VUS', 20),
    maxVUs: positiveInteger(env, 'MAX_VUS', 200),
    sloP95Ms: positiveNumber(env, 'SLO_P95_MS', 50),
    startRate: positiveInteger(env, 'START_RATE', 50),
    maxRate: positiveInteger(env, 'MAX_RATE', 1000),
    rampDurationMs: duration(env, 'RAMP_DURATION', '60s'),
    steps: positiveInteger(env, 'STEPS', 6),
    workload: text(env, 'WORKLOAD') ?? 'reveal',
  };
  if (config.maxVUs < config.preAllocatedVUs) {
    throw new Error(`MAX_VUS (${config.maxVUs}) must be at least PRE_ALLOCATED_VUS (${config.preAllocatedVUs}).`);
  }
  if (config.maxRate < config.startRate) {
    throw new Error(`MAX_RATE (${config.maxRate}) must be at least START_RATE (${config.startRate}).`);
  }
  return config;
}

/**
 * Load is only ever aimed at this machine. A host name is refused as well, even
 * `localhost`: what a name resolves to is up to the resolver, an address is not.
 */
export function loopbackBaseUrl(url: string): string {
  const match = /^http:\/\/(\d{1,3}(?:\.\d{1,3}){3}|\[::1\])(?::(\d{1,5}))?\/?$/.exec(url);
  const host = match?.[1];
  if (host === undefined) {
    throw new Error(`BASE_URL must look like http://127.0.0.1:3000 (loopback address, optional port, no path); got "${url}".`);
  }
  const loopback = host === '[::1]' || (host.split('.').every((octet) => Number(octet) <= 255) && host.startsWith('127.'));
  if (!loopback) {
    throw new Error(`BASE_URL must point at this machine's loopback (127.0.0.0/8 or [::1]); refusing "${url}".`);
  }
  return url.replace(/\/$/, '');
}

function text(env: Record<string, string | undefined>, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function positiveNumber(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number; got "${raw}".`);
  return value;
}

function positiveInteger(env: Record<string, string | undefined>, name: string, fallback: number): number {
  const value = positiveNumber(env, name, fallback);
  if (!Number.isInteger(value)) throw new Error(`${name} must be a whole number; got "${value}".`);
  return value;
}

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/** A k6-style duration ("500ms", "30s", "1m30s"), in milliseconds. */
function duration(env: Record<string, string | undefined>, name: string, fallback: string): number {
  const raw = text(env, name) ?? fallback;
  if (!/^(\d+(ms|s|m|h))+$/.test(raw)) throw new Error(`${name} must be a duration like 30s, 2m or 1m30s; got "${raw}".`);
  let total = 0;
  for (const [, amount, unit] of raw.matchAll(/(\d+)(ms|s|m|h)/g)) total += Number(amount) * (DURATION_UNITS_MS[unit as string] as number);
  if (total <= 0) throw new Error(`${name} must be longer than zero; got "${raw}".`);
  return total;
}
