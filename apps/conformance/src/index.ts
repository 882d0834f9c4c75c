export * from './harness';
export * from './stages';
// A real SMTP server in the test process, to receive what a stage started with SMTP_URL sends.
export { startSmtpSink, type ReceivedMail, type SmtpSink } from '@santa/mail/testing';
export { freePort } from '@santa/services';
