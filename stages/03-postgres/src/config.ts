import { z } from 'zod';

/** The stage's configuration, read from the environment and checked before anything starts. */
const schema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  PG_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(10),
  PG_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
});

export interface StageConfig {
  host: string;
  port: number;
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  databaseUrl: string;
  poolSize: number;
  statementTimeoutMs: number;
}

export function readStageConfig(env: NodeJS.ProcessEnv): StageConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    process.stderr.write(`invalid configuration:\n${problems}\n`);
    process.exit(2);
  }
  const c = parsed.data;
  return {
    host: c.HOST,
    port: c.PORT,
    logLevel: c.LOG_LEVEL,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    databaseUrl: c.DATABASE_URL,
    poolSize: c.PG_POOL_SIZE,
    statementTimeoutMs: c.PG_STATEMENT_TIMEOUT_MS,
  };
}
