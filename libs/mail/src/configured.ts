import { startOutboxWorker, type OutboxWorker, type OutboxWorkerOptions } from './outbox-worker';

/** The mail settings a stage reads from its environment (`mailEnv` in @santa/http). */
export interface MailSettings {
  SMTP_URL?: string | undefined;
  MAIL_FROM: string;
  PUBLIC_URL?: string | undefined;
  MAIL_CONCURRENCY: number;
}

/**
 * Starts the outbox worker a stage's settings ask for, or none when SMTP_URL is not
 * set (messages then wait in the outbox). Links point at PUBLIC_URL, or at the
 * server's own URL when it is not set.
 */
export function startConfiguredOutbox(
  settings: MailSettings,
  deps: Pick<OutboxWorkerOptions, 'store' | 'logger' | 'metrics'> & { serverUrl: string },
): OutboxWorker | undefined {
  if (settings.SMTP_URL === undefined) return undefined;
  return startOutboxWorker({
    ...deps,
    smtpUrl: settings.SMTP_URL,
    from: settings.MAIL_FROM,
    publicUrl: settings.PUBLIC_URL ?? deps.serverUrl,
    concurrency: settings.MAIL_CONCURRENCY,
  });
}
