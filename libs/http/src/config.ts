import { z } from 'zod';

/** The environment every stage program reads for its HTTP server. */
export const serverEnv = {
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long in-flight requests may take to finish after SIGTERM. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
};

/** An unset variable and an empty one mean the same: not configured. */
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** The environment of the e-mail outbox worker a stage runs when SMTP_URL is set. */
export const mailEnv = {
  /** nodemailer's connection URL, e.g. `smtp://user:pass@mail.example.com:587`; unset: no e-mail is sent (messages wait in the outbox). */
  SMTP_URL: optional(z.string().regex(/^smtps?:\/\/[^/]/, 'must be an smtp:// or smtps:// URL')),
  MAIL_FROM: z.string().regex(/@/, 'must be an address, e.g. "Secret Santa <santa@example.com>"').default('Secret Santa <santa@localhost>'),
  /** Where people open the app: e-mailed links are `<PUBLIC_URL>/me#token=...`. Default: the server's own URL. */
  PUBLIC_URL: optional(z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })),
  /** E-mails sent at once by this process (and SMTP connections it keeps open). */
  MAIL_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
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
