import { createTransport, type Transporter } from 'nodemailer';
import {
  hashSecret,
  isoNow,
  newParticipantToken,
  outboxRetryAt,
  type ExchangeStore,
  type OutboxDelivery,
  type OutboxKind,
} from '@santa/domain';
import { composeMail, privateLink } from './message';

/** Structurally a pino logger; the worker logs message ids, never an address, a token or a link. */
export interface MailLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** What the worker reports, for metrics (the HTTP library has a Prometheus implementation). */
export interface OutboxWorkerMetrics {
  sent(kind: OutboxKind): void;
  /** `final`: the message was failed for good and will not be tried again. */
  failed(kind: OutboxKind, final: boolean): void;
}

export interface OutboxWorkerOptions {
  store: ExchangeStore;
  /** `smtp://user:pass@host:port` or `smtps://...`; nodemailer's connection URL. */
  smtpUrl: string;
  /** The From header, e.g. `Secret Santa <santa@example.com>`. */
  from: string;
  /** Where people open the app; links are `<publicUrl>/me#token=...`. */
  publicUrl: string;
  /** E-mails sent at once, and SMTP connections kept open. Default: 4. */
  concurrency?: number;
  /** How long a claimed message is this worker's; longer than any send can take. Default: 60 s. */
  leaseMs?: number;
  /** How often to look for due messages when nobody calls `wake`. Default: 1 s. */
  pollIntervalMs?: number;
  /** Limits each SMTP connection, greeting and socket inactivity. Default: 15 s (well under the lease). */
  smtpTimeoutMs?: number;
  /** When a message whose `attempts`-th attempt failed at `failedAt` is tried again. Default: the domain's `outboxRetryAt`. */
  retryAt?: (attempts: number, failedAt: string) => string | null;
  /** Milliseconds since the epoch. Default: `Date.now`. */
  clock?: () => number;
  logger?: MailLogger;
  metrics?: OutboxWorkerMetrics;
}

export interface OutboxWorker {
  /** Looks for due messages now rather than at the next poll (after a draw, say). */
  wake(): void;
  /** Claims nothing more, lets the sends in flight finish and record their outcome, closes SMTP connections. */
  stop(): Promise<void>;
}

const SILENT: MailLogger = { info: () => undefined, warn: () => undefined };
const MAX_ERROR_LENGTH = 500;

/** An SMTP error the server says is permanent for this message (a 5xx to the envelope): retrying cannot help. */
function isPermanent(error: unknown): boolean {
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  return code === 'EENVELOPE' && typeof responseCode === 'number' && responseCode >= 500 && responseCode < 600;
}

/** The error for operators, without the link token should a server ever echo it. */
function describe(error: unknown, linkToken: string): string {
  const { code, responseCode, message } = error as { code?: unknown; responseCode?: unknown; message?: unknown };
  const parts = [code, responseCode, message].filter((part) => part !== undefined && part !== null).map(String);
  return parts.join(' ').replaceAll(linkToken, '[redacted]').slice(0, MAX_ERROR_LENGTH) || 'unknown error';
}

/**
 * Sends the outbox. It claims due messages from the store under a lease (claims are
 * exclusive, so any number of workers over one store send each message once), mints a
 * fresh link token for each (the store keeps only its hash), sends the e-mail over
 * SMTP with at most `concurrency` sends in flight, then completes the message, or
 * fails it with a retry time (exponential backoff) so a server that is down only
 * delays the mail. Never throws: a store or SMTP outage is logged and retried.
 */
export function startOutboxWorker(options: OutboxWorkerOptions): OutboxWorker {
  const { store, from, publicUrl } = options;
  const concurrency = options.concurrency ?? 4;
  const leaseMs = options.leaseMs ?? 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const smtpTimeoutMs = options.smtpTimeoutMs ?? 15_000;
  const retryAt = options.retryAt ?? ((attempts: number, failedAt: string) => outboxRetryAt(attempts, failedAt));
  const clock = options.clock ?? Date.now;
  const logger = options.logger ?? SILENT;
  const metrics = options.metrics;

  const transport: Transporter = createTransport({
    url: options.smtpUrl,
    pool: true,
    maxConnections: concurrency,
    connectionTimeout: smtpTimeoutMs,
    greetingTimeout: smtpTimeoutMs,
    socketTimeout: smtpTimeoutMs,
    // nodemailer's own logging would print the messages, links included.
    logger: false,
    debug: false,
  });

  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  /** The last claim filled every free slot, so more messages may be due right now. */
  let backlog = false;
  let wakeUp: (() => void) | undefined;
  /** A wake-up that came while the loop was busy: the next sleep is skipped. */
  let wokenEarly = false;

  function wake(): void {
    if (wakeUp) wakeUp();
    else wokenEarly = true;
  }

  function sleep(): Promise<void> {
    if (wokenEarly) {
      wokenEarly = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, pollIntervalMs);
      timer.unref();
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });
  }

  async function deliver(delivery: OutboxDelivery, linkToken: string): Promise<void> {
    const { message, participant } = delivery;
    try {
      const mail = composeMail(delivery, privateLink(publicUrl, linkToken));
      await transport.sendMail({ from, to: { name: participant.name, address: participant.email }, ...mail });
    } catch (error) {
      const failedAt = isoNow(clock);
      const retry = isPermanent(error) ? null : retryAt(message.attempts, failedAt);
      const reason = describe(error, linkToken);
      metrics?.failed(message.kind, retry === null);
      logger.warn({ messageId: message.id, kind: message.kind, attempts: message.attempts, retryAt: retry, error: reason }, 'e-mail not sent');
      await store
        .failOutboxMessage(message.id, { linkTokenHash: delivery.linkTokenHash, error: reason, retryAt: retry })
        // Its lease runs out and it is claimed again: a retry all the same.
        .catch((storeError: unknown) => logger.warn({ messageId: message.id, err: storeError }, 'could not record a failed e-mail'));
      return;
    }
    metrics?.sent(message.kind);
    await store
      .completeOutboxMessage(message.id, isoNow(clock))
      // Delivery is at least once: when its lease runs out the message is sent again, and this link keeps working.
      .catch((storeError: unknown) => logger.warn({ messageId: message.id, err: storeError }, 'could not record a sent e-mail'));
  }

  async function claim(slots: number): Promise<void> {
    const tokens = new Map<string, string>();
    for (let i = 0; i < slots; i++) {
      const token = newParticipantToken();
      tokens.set(hashSecret(token), token);
    }
    const now = clock();
    let deliveries: OutboxDelivery[];
    try {
      deliveries = await store.claimOutboxMessages({
        now: new Date(now).toISOString(),
        leaseUntil: new Date(now + leaseMs).toISOString(),
        linkTokenHashes: [...tokens.keys()],
      });
    } catch (error) {
      backlog = false;
      logger.warn({ err: error }, 'could not claim e-mails from the outbox; trying again');
      return;
    }
    backlog = deliveries.length === slots;
    for (const delivery of deliveries) {
      const sending = deliver(delivery, tokens.get(delivery.linkTokenHash) as string)
        .catch((error: unknown) => logger.warn({ messageId: delivery.message.id, err: error }, 'e-mail delivery failed unexpectedly'))
        .finally(() => {
          inFlight.delete(sending);
          if (backlog) wake();
        });
      inFlight.add(sending);
    }
  }

  logger.info({ concurrency, pollIntervalMs, leaseMs }, 'outbox worker started');
  const running = (async () => {
    while (!stopping) {
      const slots = concurrency - inFlight.size;
      if (slots > 0) await claim(slots);
      if (stopping) break;
      // With a backlog and free slots, claim again at once; otherwise wait for a slot, a wake-up or the poll.
      if (!(backlog && inFlight.size < concurrency)) await sleep();
    }
    await Promise.all(inFlight);
  })();

  let stopped: Promise<void> | undefined;
  return {
    wake,
    stop() {
      stopped ??= (async () => {
        stopping = true;
        wake();
        await running;
        transport.close();
        logger.info({}, 'outbox worker stopped');
      })();
      return stopped;
    },
  };
}
