export { startOutboxWorker, type MailLogger, type OutboxWorker, type OutboxWorkerMetrics, type OutboxWorkerOptions } from './outbox-worker';
export { composeMail, privateLink, type MailContent } from './message';
