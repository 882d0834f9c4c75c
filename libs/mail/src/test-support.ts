import {
  createDrawFunction,
  hashSecret,
  isoNow,
  type ExchangeStore,
  type OutboxKind,
  type ParticipantRecord,
} from '@santa/domain';
import { newExchangeRecord, newParticipantRecord } from '@santa/domain/testing';
import type { OutboxWorkerMetrics } from './outbox-worker';
import type { ReceivedMail } from './testing';

/** An exchange of `count` participants, drawn: the store has queued one 'drawn' message per participant. */
export async function drawnExchange(store: ExchangeStore, count: number): Promise<ParticipantRecord[]> {
  const exchange = await store.createExchange(newExchangeRecord());
  const participants = await store.addParticipants(
    exchange.id,
    Array.from({ length: count }, () => newParticipantRecord(exchange.id)),
  );
  await store.draw(exchange.id, isoNow(), createDrawFunction());
  return participants;
}

/** The link token of a received e-mail (the `#token=` fragment of its link). */
export function linkTokenOf(mail: ReceivedMail): string {
  const fragment = mail.link?.split('#token=')[1];
  if (fragment === undefined) throw new Error(`no private link in the e-mail to ${mail.to.join(', ')}`);
  return decodeURIComponent(fragment);
}

export function linkTokenHashOf(mail: ReceivedMail): string {
  return hashSecret(linkTokenOf(mail));
}

/** Metrics that count what the worker reported. */
export function countingMetrics(): OutboxWorkerMetrics & { sentCount: number; failedCount: number; finalCount: number; kinds: OutboxKind[] } {
  return {
    sentCount: 0,
    failedCount: 0,
    finalCount: 0,
    kinds: [],
    sent(kind) {
      this.sentCount += 1;
      this.kinds.push(kind);
    },
    failed(_kind, final) {
      this.failedCount += 1;
      if (final) this.finalCount += 1;
    },
  };
}

/** Polls `condition` every 20 ms until it holds; rejects after `timeoutMs`. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
