import { setTimeout as delay } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';

/** One e-mail a real SMTP server accepted. */
export interface ReceivedMail {
  from: string;
  /** Envelope recipients. */
  to: string[];
  subject: string;
  /** The decoded text/plain part. */
  text: string;
  /** The private link in the text, or null. */
  link: string | null;
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

function decodeQuotedPrintable(body: string): string {
  const bytes = body
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function splitHeaders(part: string): { headers: Map<string, string>; body: string } {
  const end = part.indexOf('\r\n\r\n');
  const head = end === -1 ? part : part.slice(0, end);
  const body = end === -1 ? '' : part.slice(end + 4);
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

/** The text/plain part of a message as nodemailer writes it (single part or multipart/alternative). */
function plainText(raw: string): string {
  const { headers, body } = splitHeaders(raw);
  const boundary = /boundary="?([^";]+)"?/i.exec(headers.get('content-type') ?? '')?.[1];
  const parts = boundary === undefined ? [raw] : body.split(`--${boundary}`).slice(1, -1).map((part) => part.replace(/^\r\n/, ''));
  for (const part of parts) {
    const { headers: partHeaders, body: partBody } = splitHeaders(part);
    if (!(partHeaders.get('content-type') ?? 'text/plain').startsWith('text/plain')) continue;
    const encoding = (partHeaders.get('content-transfer-encoding') ?? '7bit').toLowerCase();
    if (encoding === 'quoted-printable') return decodeQuotedPrintable(partBody);
    if (encoding === 'base64') return Buffer.from(partBody, 'base64').toString('utf8');
    return partBody;
  }
  return '';
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
        const raw = Buffer.concat(chunks).toString('utf8');
        const text = plainText(raw);
        const mailFrom = session.envelope.mailFrom;
        received.push({
          from: mailFrom === false ? '' : mailFrom.address,
          to: session.envelope.rcptTo.map(({ address }) => address),
          subject: splitHeaders(raw).headers.get('subject') ?? '',
          text,
          link: /https?:\/\/\S+\/me#token=[\w%-]+/.exec(text)?.[0] ?? null,
          raw,
        });
        callback();
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
