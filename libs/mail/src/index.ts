export { startOutboxWorker, type MailLogger, type OutboxWorker, type OutboxWorkerMetrics, type OutboxWorkerOptions } from './outbox-worker';
export { startConfiguredOutbox, type MailSettings } from './configured';
export { composeMail, privateLink, type MailContent } from './message';
