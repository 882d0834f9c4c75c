import { z } from 'zod';

/** The stage's configuration, read from the environment and checked before anything starts. */
const schema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATA_DIR: z.string().min(1).default('data/02-sqlite'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
});

export interface StageConfig {
  host: string;
  port: number;
  dataDir: string;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  shutdownTimeoutMs: number;
}

export function readStageConfig(env: NodeJS.ProcessEnv): StageConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    process.stderr.write(`invalid configuration:\n${problems}\n`);
    process.exit(2);
  }
  const { HOST, PORT, DATA_DIR, LOG_LEVEL, SHUTDOWN_TIMEOUT_MS } = parsed.data;
  return { host: HOST, port: PORT, dataDir: DATA_DIR, logLevel: LOG_LEVEL, shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS };
}
