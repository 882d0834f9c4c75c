import { setTimeout as delay } from 'node:timers/promises';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One e-mail a real SMTP server accepted. */
export interface ReceivedMail {
  from: string;
  /** Envelope recipients. */
  to: string[];
  subject: string;
  /** The decoded text/plain part. */
  text: string;
  /** The decoded text/html part, or '' when there is none. */
  html: string;
  /** The private link in the text, or null. */
  link: string | null;
  /**
   * Subject, text and HTML with every private link replaced by a placeholder: what the
   * message says besides its credential. A random token may spell any short word, so
   * assertions that a secret is absent look here, not at the raw message.
   */
  readable: string;
  raw: string;
}

export interface SmtpSink {
  port: number;
  /** `smtp://127.0.0.1:<port>`: what a worker's SMTP_URL should be. */
  url: string;
  /** Every message accepted so far, in order of arrival. */
  received: ReceivedMail[];
  /** Starts accepting connections (when created with `listening: false`, to play a server that is down). */
  listen(): Promise<void>;
  /** Resolves once at least `count` messages arrived; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** Private links and the tokens in them: `…/me#token=<token>`. */
const PRIVATE_LINK = /https?:\/\/[^\s"'<>]+\/me#token=[\w%-]+/g;

async function parseMail(raw: Buffer, envelope: { mailFrom: string; rcptTo: string[] }): Promise<ReceivedMail> {
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  const text = parsed.text ?? '';
  const html = typeof parsed.html === 'string' ? parsed.html : '';
  const subject = parsed.subject ?? '';
  return {
    from: envelope.mailFrom,
    to: envelope.rcptTo,
    subject,
    text,
    html,
    link: text.match(PRIVATE_LINK)?.[0] ?? null,
    readable: [subject, text, html].join('\n').replace(PRIVATE_LINK, '<private link>'),
    raw: raw.toString('utf8'),
  };
}

/**
 * A real SMTP server (smtp-server) on a free loopback port that keeps what it
 * receives, for tests of code that sends e-mail. No TLS and no authentication.
 */
export async function startSmtpSink(options: { port: number; listening?: boolean }): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    disableReverseLookup: true,
    logger: false,
    // Idle pooled connections of a client are cut after this, so closing never waits long.
    closeTimeout: 500,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const { mailFrom, rcptTo } = session.envelope;
        parseMail(Buffer.concat(chunks), { mailFrom: mailFrom === false ? '' : mailFrom.address, rcptTo: rcptTo.map(({ address }) => address) }).then(
          (mail) => {
            received.push(mail);
            callback();
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
        );
      });
    },
  });
  let listening = false;

  const sink: SmtpSink = {
    port: options.port,
    url: `smtp://127.0.0.1:${options.port}`,
    received,
    async listen() {
      if (listening) return;
      await new Promise<void>((resolve, reject) => {
        server.server.once('error', reject);
        server.listen(options.port, '127.0.0.1', () => {
          server.server.off('error', reject);
          resolve();
        });
      });
      listening = true;
    },
    async waitForMessages(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} e-mails within ${timeoutMs} ms, got ${received.length}`);
        await delay(20);
      }
      return received;
    },
    async close() {
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  if (options.listening ?? true) await sink.listen();
  return sink;
}
