import { Counter, Gauge, type Registry } from 'prom-client';
import type { ExchangeStore, OutboxKind } from '@santa/domain';

function registered<M>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}

/** What an outbox worker reports (structurally `OutboxWorkerMetrics` of @santa/mail). */
export interface OutboxMetrics {
  sent(kind: OutboxKind): void;
  failed(kind: OutboxKind, final: boolean): void;
}

/**
 * The e-mail outbox on /metrics: `santa_mail_sent_total{kind}` and
 * `santa_mail_failed_total{kind, final}` count this process's sends, and
 * `santa_outbox_messages{status}` is read from the store at each scrape (pending:
 * waiting to be sent; failed: given up for good). The gauge counts the whole store, so
 * replicas over one database all report the same value: aggregate it with max, not sum.
 */
export function createOutboxMetrics(registry: Registry, store: ExchangeStore): OutboxMetrics {
  const sent = registered(
    registry,
    'santa_mail_sent_total',
    () => new Counter({ name: 'santa_mail_sent_total', help: 'E-mails sent from the outbox, by kind.', labelNames: ['kind'], registers: [registry] }),
  );
  const failed = registered(
    registry,
    'santa_mail_failed_total',
    () =>
      new Counter({
        name: 'santa_mail_failed_total',
        help: 'Attempts to send an e-mail that failed, by kind; final="true" when the message was given up.',
        labelNames: ['kind', 'final'],
        registers: [registry],
      }),
  );
  registered(
    registry,
    'santa_outbox_messages',
    () =>
      new Gauge({
        name: 'santa_outbox_messages',
        help: 'Outbox messages in the store, by status: pending (not sent yet) and failed (given up).',
        labelNames: ['status'],
        registers: [registry],
        async collect() {
          try {
            const counts = await store.countOutboxMessages();
            this.labels('pending').set(counts.pending);
            this.labels('failed').set(counts.failed);
          } catch {
            // The store is down: a scrape still answers, with the last values it read.
          }
        },
      }),
  );
  return {
    sent: (kind) => sent.labels(kind).inc(),
    failed: (kind, final) => failed.labels(kind, String(final)).inc(),
  };
}
