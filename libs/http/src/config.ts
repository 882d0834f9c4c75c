import { z } from 'zod';

/** The environment every stage program reads for its HTTP server. */
export const serverEnv = {
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long in-flight requests may take to finish after SIGTERM. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
};

/**
 * Reads a program's configuration from the environment and checks it before anything
 * starts. For program entry points: on invalid configuration it prints every problem
 * and exits with status 2, instead of failing later with a less helpful error.
 */
export function readConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  env: NodeJS.ProcessEnv = process.env,
): z.infer<z.ZodObject<Shape>> {
  const parsed = z.object(shape).safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
  process.stderr.write(`invalid configuration:\n${problems}\n`);
  process.exit(2);
}
