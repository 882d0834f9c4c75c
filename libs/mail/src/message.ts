import type { OutboxDelivery } from '@santa/domain';

/** What one e-mail says, in plain text and in simple HTML. */
export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

/**
 * The private link of a participant: the web UI's `/me` page with the token in the
 * fragment, which browsers never send to a server, so it appears in no access log.
 */
export function privateLink(publicUrl: string, linkToken: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/me#token=${encodeURIComponent(linkToken)}`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** "Budget: 20 EUR. Exchange date: 2026-12-24." or less, or nothing. */
function details({ exchange }: OutboxDelivery): string[] {
  const lines: string[] = [];
  if (exchange.budget) lines.push(`Budget: ${exchange.budget.amount} ${exchange.budget.currency}.`);
  if (exchange.exchangeDate) lines.push(`Exchange date: ${exchange.exchangeDate}.`);
  return lines;
}

/**
 * The e-mail of one outbox message. It never names the giftee: the assignment is only
 * ever read with the participant's own credential, on the page the link opens.
 */
export function composeMail(delivery: OutboxDelivery, link: string): MailContent {
  const { participant, exchange, message } = delivery;
  const { subject, paragraphs, action } =
    message.kind === 'drawn'
      ? {
          subject: `Your Secret Santa for ${exchange.name}`,
          paragraphs: [
            `The names for ${exchange.name} have been drawn. Your private link shows who you give a gift to, and lets you write your own wishlist.`,
            ...details(delivery),
          ],
          action: 'See who you give to',
        }
      : {
          subject: `Add your wishlist for ${exchange.name}`,
          paragraphs: [
            `Your wishlist for ${exchange.name} is still empty. Please add a few ideas, so whoever gives to you knows what would make you happy.`,
            ...details(delivery),
          ],
          action: 'Add my wishlist',
        };
  const warning = 'This link is yours alone: anyone who has it can see your giftee and change your wishlist.';

  const text = [`Hi ${participant.name},`, '', ...paragraphs, '', `${action}: ${link}`, '', warning, ''].join('\n');
  const html = [
    '<!doctype html><html><body>',
    `<p>Hi ${escapeHtml(participant.name)},</p>`,
    ...paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    `<p><a href="${escapeHtml(link)}">${escapeHtml(action)}</a></p>`,
    `<p><small>${escapeHtml(warning)}</small></p>`,
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
