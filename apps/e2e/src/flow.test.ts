/**
 * The whole flow in real headless Chromium, against stages started as users start
 * them: an organizer creates an exchange (by keyboard alone), adds people one by one
 * and from a CSV file, people join with the invite link, the organizer excludes a
 * couple and a household, first meets an impossible draw explained in words, fixes
 * it and draws; then every participant sees a valid giftee, writes a wishlist, and
 * their giver sees it. Every page passes axe-core, fits a phone, sends no referrer,
 * and no secret reaches the server's log or any URL the browser requests.
 *
 * The stages send e-mail to a real SMTP server in this process: after the draw each
 * participant gets one message, and people open their page with the link in it; the
 * organizer sends reminders, which reach exactly those with an empty wishlist.
 *
 * With E2E_SCREENSHOTS=<dir> (relative to the repository) the main pages are saved
 * there as PNG files, from the first stage only.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, makeDataDir, removeDataDir, startSmtpSink, startStage, type ReceivedMail, type SmtpSink, type StageProcess } from '@santa/conformance';
import { DESKTOP, PHONE, accessibilityViolations, horizontalOverflow, launchChromium, newContext, watchForPageErrors } from './browser';
import {
  createExchangeByKeyboard,
  dashboardCounts,
  draw,
  excludeHousehold,
  excludePair,
  addParticipant,
  importCsv,
  join,
  readPrivatePage,
  removeExclusion,
  saveWishlist,
  sendReminders,
  type Person,
} from './flow';

const STAGES_UNDER_TEST = ['02-sqlite', '05-replicas'] as const;
/** A flow takes seconds; this only turns a hang into a failure on a machine busy with other suites. */
const FLOW_TIMEOUT_MS = 180_000;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const screenshotDir = process.env.E2E_SCREENSHOTS ? resolve(repoRoot, process.env.E2E_SCREENSHOTS) : null;

// Chromium reports every 4xx answer as a console error; the impossible draw is one on purpose.
const expectedConsoleError = (text: string) => /Failed to load resource: the server responded with a status of 422/.test(text);

let browser: Browser;
const stages = new Map<string, { stage: StageProcess; dataDir: string; smtp: SmtpSink }>();

beforeAll(async () => {
  // The stages start side by side with the browser: most of the time here is waiting.
  const [launched] = await Promise.all([
    launchChromium(),
    ...STAGES_UNDER_TEST.map(async (name) => {
      const smtp = await startSmtpSink({ port: await freePort() });
      const dataDir = await makeDataDir(name);
      try {
        stages.set(name, { stage: await startStage(name, dataDir, { SMTP_URL: smtp.url, MAIL_FROM: 'Secret Santa <santa@e2e.test>' }), dataDir, smtp });
      } catch (error) {
        await smtp.close();
        throw error;
      }
    }),
  ]);
  browser = launched;
});

afterAll(async () => {
  await browser?.close();
  for (const { stage, dataDir, smtp } of stages.values()) {
    try {
      await stage.stop();
    } finally {
      await smtp.close();
      await removeDataDir(dataDir);
    }
  }
});

// The stages run side by side: each flow spends most of its time waiting for its own stage.
describe.concurrent('the UI in Chromium', () => {
  for (const [index, stageName] of STAGES_UNDER_TEST.entries()) {
    it(`${stageName}: walks the whole flow: create, add, import, join, exclude, draw, e-mail, see the giftee, remind, write a wishlist`, async () => {
      const { stage, smtp } = stages.get(stageName) ?? {};
      if (!stage || !smtp) throw new Error(`${stageName} did not start`);
      await wholeFlow(stage, smtp, index === 0 ? screenshotDir : null);
    }, FLOW_TIMEOUT_MS);
  }
});

/** A participant: their own browser, and the private link that opens their page. */
interface Visitor {
  person: Person;
  context: BrowserContext;
  page: Page;
  privateUrl: string;
}

/** The secret of a private link: the token in its fragment. */
const linkToken = (link: string) => new URLSearchParams(new URL(link).hash.slice(1)).get('token') ?? '';

async function wholeFlow(stage: StageProcess, smtp: SmtpSink, screenshots: string | null): Promise<void> {
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  const requests: { url: string; referer: string | undefined }[] = [];
  /** Every page the browsers loaded, with the Referrer-Policy it came with. */
  const documents: { url: string; referrerPolicy: string | undefined }[] = [];
  const checkedPages: string[] = [];

  async function openContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
    const context = await newContext(browser, viewport);
    contexts.push(context);
    const found = watchForPageErrors(context, expectedConsoleError);
    context.on('close', () => problems.push(...found));
    context.on('request', (request) => requests.push({ url: request.url(), referer: request.headers()['referer'] || undefined }));
    context.on('response', (response) => {
      if (response.request().resourceType() === 'document') documents.push({ url: response.url(), referrerPolicy: response.headers()['referrer-policy'] });
    });
    return context;
  }

  /** axe-core finds nothing, and on a phone nothing scrolls sideways. */
  async function checkPage(page: Page, what: string): Promise<void> {
    expect(await accessibilityViolations(page), `${what}: axe-core violations`).toEqual([]);
    if ((page.viewportSize()?.width ?? DESKTOP.width) <= PHONE.width) expect(await horizontalOverflow(page), `${what}: sideways scrolling on a phone`).toBe(0);
    checkedPages.push(what);
  }

  /**
   * Exactly one message to each of `people`, all with `subject`, each with a private
   * link to the address the browsers use (for 05-replicas nginx, not the replica that
   * sent it). Returns the links, by address.
   */
  function oneMailEach(mails: readonly ReceivedMail[], people: readonly Person[], subject: string): Map<string, string> {
    expect(mails.map(({ to }) => to.join(', ')).sort(), `the recipients of "${subject}"`).toEqual(people.map(({ email }) => email).sort());
    const linksByAddress = new Map<string, string>();
    for (const { to, subject: actual, link } of mails) {
      expect(actual).toBe(subject);
      expect(link?.startsWith(`${stage.url}/me#token=`), `the link in "${subject}" to ${to.join(', ')} leads to ${stage.url}/me`).toBe(true);
      linksByAddress.set(to.join(', '), link as string);
    }
    return linksByAddress;
  }

  async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
    if (screenshots === null) return;
    mkdirSync(screenshots, { recursive: true });
    await page.screenshot({ path: resolve(screenshots, `${name}.png`), fullPage, animations: 'disabled', caret: 'hide' });
  }

  try {
    // The organizer, on a desktop, creates the exchange with the keyboard alone.
    const organizerContext = await openContext(DESKTOP);
    const organizer = await organizerContext.newPage();
    await organizer.goto(`${stage.url}/`);
    await checkPage(organizer, 'the create page');
    await screenshot(organizer, 'create');
    // Sent empty: the errors are shown, each linked to its field.
    await organizer.getByRole('button', { name: 'Create the exchange' }).click();
    await organizer.locator('#create-errors').getByRole('link', { name: /^Name of the exchange: / }).waitFor();
    await expect.poll(() => organizer.locator('#name').getAttribute('aria-invalid')).toBe('true');
    await checkPage(organizer, 'the create page, with errors');
    const links = await createExchangeByKeyboard(organizer, {
      name: 'Family Christmas',
      budget: { amount: '25', currency: 'GBP' },
      date: '2026-12-24',
      singleCycle: true,
    });
    await expect.poll(() => organizer.locator('#exchange-facts').innerText()).toBe('Budget: £25.00 · Date: December 24, 2026 · One single circle');
    expect(links.organizerToken).not.toBe('');
    expect(links.inviteCode).not.toBe('');
    await checkPage(organizer, 'the organizer page, empty');

    // Two people added one by one, two from a CSV file.
    const ann: Person = { name: 'Ann', email: 'ann@example.test', wishlist: 'Wool socks' };
    const bob: Person = { name: 'Bob', email: 'bob@example.test' };
    const cy: Person = { name: 'Cy', email: 'cy@example.test', wishlist: 'A jigsaw puzzle' };
    const dee: Person = { name: 'Dee', email: 'dee@example.test' };
    const annLink = await addParticipant(organizer, ann);
    const bobLink = await addParticipant(organizer, bob);
    const [cyLink, deeLink] = await importCsv(organizer, `name,email,wishlist\n${cy.name},${cy.email},${cy.wishlist}\n${dee.name},${dee.email},\n`, [cy.name, dee.name]);
    for (const link of [annLink, bobLink, cyLink, deeLink]) expect(link).toMatch(new RegExp(`^${stage.url}/me#token=[A-Za-z0-9_-]+$`));
    expect(await dashboardCounts(organizer)).toEqual({ Status: 'Open', Participants: '4', Wishlists: '2', Exclusions: '0' });

    // Three people join with the invite link, each in a browser of their own, on phones.
    const joiners: Person[] = [
      { name: 'Eve', email: 'eve@example.test', wishlist: 'Tea' },
      { name: 'Finn', email: 'finn@example.test' },
      { name: 'Gus', email: 'gus@example.test', wishlist: '' },
    ];
    const visitors: Visitor[] = [];
    for (const [position, person] of joiners.entries()) {
      const context = await openContext(PHONE);
      const page = await context.newPage();
      await page.goto(links.inviteUrl);
      if (position === 0) {
        await checkPage(page, 'the join page');
        await screenshot(page, 'join-phone');
      }
      const privateUrl = await join(page, links.inviteUrl, person);
      if (position === 0) {
        await checkPage(page, 'the private page, before the draw');
        await screenshot(page, 'private-before-draw-phone');
      }
      visitors.push({ person, context, page, privateUrl });
    }
    for (const [person, privateUrl] of [[ann, annLink], [bob, bobLink], [cy, cyLink], [dee, deeLink]] as const) {
      const context = await openContext(DESKTOP);
      visitors.push({ person, context, page: await context.newPage(), privateUrl });
    }
    const everybody = visitors.map(({ person }) => person.name);
    /** The links people were given on the way: when they joined, or by the organizer. */
    const givenLinks = visitors.map(({ privateUrl }) => privateUrl);

    // Exclusions: a couple, and (too many) a household of five of the seven: impossible.
    await organizer.reload();
    await organizer.getByRole('heading', { name: 'Who must not draw whom' }).waitFor();
    expect(await dashboardCounts(organizer)).toEqual({ Status: 'Open', Participants: '7', Wishlists: '3', Exclusions: '0' });
    await excludePair(organizer, 'Ann', 'Bob');
    await excludeHousehold(organizer, ['Cy', 'Dee', 'Eve', 'Finn', 'Gus']);
    expect(await dashboardCounts(organizer)).toMatchObject({ Exclusions: String(2 + 5 * 4) });
    const refusal = await draw(organizer);
    // In words: a group of the household that can only give to the two outside it, named.
    const explained = /^The names were not drawn\. (\w+), (\w+) and (\w+) can only give to 2 people between them: Ann and Bob\. Remove some exclusions to make a draw possible\.$/.exec(refusal ?? '');
    expect(explained, `the explanation: ${refusal}`).not.toBeNull();
    const blocking = explained?.slice(1) ?? [];
    for (const name of blocking) expect(['Cy', 'Dee', 'Eve', 'Finn', 'Gus']).toContain(name);
    expect(await organizer.locator('#draw-errors li').allInnerTexts()).toEqual(blocking.map((name) => `${name}: Part of the group that blocks the draw.`));
    await checkPage(organizer, 'the organizer page, with an impossible draw explained');
    await screenshot(organizer, 'organize-impossible-draw');

    // Fixed: the household is only three of them. Then the draw succeeds.
    await removeExclusion(organizer, 'Cy, Dee, Eve, Finn and Gus never draw each other');
    await excludeHousehold(organizer, ['Cy', 'Dee', 'Eve']);
    expect(await organizer.locator('#exclusions li span').allInnerTexts()).toEqual([
      'Cy, Dee and Eve never draw each other',
      'Ann and Bob never draw each other',
    ]);
    expect(await dashboardCounts(organizer)).toEqual({ Status: 'Open', Participants: '7', Wishlists: '3', Exclusions: '8' });
    expect(await draw(organizer)).toBeNull();
    expect(await dashboardCounts(organizer)).toMatchObject({ Status: 'Drawn' });
    await checkPage(organizer, 'the organizer page, drawn');
    await screenshot(organizer, 'organize-drawn');

    // Everybody gets one e-mail with their private link. Ann and Bob, added by the
    // organizer, open their page from it; the others with the link they were given.
    const drawMails = [...(await smtp.waitForMessages(visitors.length))];
    const drawLinks = oneMailEach(drawMails, visitors.map(({ person }) => person), 'Your Secret Santa for Family Christmas');
    for (const visitor of visitors) {
      if (visitor.person === ann || visitor.person === bob) visitor.privateUrl = drawLinks.get(visitor.person.email) as string;
    }

    // Everybody sees a valid giftee; together they make one single circle.
    const excluded = new Set(['Ann>Bob', 'Bob>Ann', 'Cy>Dee', 'Dee>Cy', 'Cy>Eve', 'Eve>Cy', 'Dee>Eve', 'Eve>Dee']);
    const gifteeOf = new Map<string, string>();
    for (const visitor of visitors) {
      const view = await readPrivatePage(visitor.page, visitor.privateUrl);
      expect(view.holder, 'whose page the link opens').toBe(visitor.person.name);
      const giftee = view.giftee ?? '(none)';
      expect(everybody, `${visitor.person.name}'s giftee`).toContain(giftee);
      expect(giftee, `${visitor.person.name} gives to themself`).not.toBe(visitor.person.name);
      expect(excluded.has(`${visitor.person.name}>${giftee}`), `${visitor.person.name} drew ${giftee}, who is excluded`).toBe(false);
      gifteeOf.set(visitor.person.name, giftee);
    }
    expect(new Set(gifteeOf.values()).size, 'everybody receives exactly one gift').toBe(everybody.length);
    const circle = ['Ann'];
    for (let next = gifteeOf.get('Ann'); next !== undefined && next !== 'Ann'; next = gifteeOf.get(next)) circle.push(next);
    expect(circle, 'one single circle through everybody').toHaveLength(everybody.length);

    // Before the wishlists are all written, the organizer sends reminders: they reach
    // exactly those whose wishlist is empty (Gus joined with an empty one), who write
    // theirs from the link in the reminder.
    const reminded = visitors.filter(({ person }) => ['Bob', 'Dee', 'Finn', 'Gus'].includes(person.name)).map(({ person }) => person);
    expect(await sendReminders(organizer)).toBe('Reminders are on their way to 4 people without a wishlist.');
    await checkPage(organizer, 'the organizer page, reminders sent');
    const reminderMails = (await smtp.waitForMessages(drawMails.length + reminded.length)).slice(drawMails.length);
    const reminderLinks = oneMailEach(reminderMails, reminded, 'Add your wishlist for Family Christmas');

    // Everybody writes a wishlist; their giver sees it.
    const wishes: Record<string, string> = {
      Ann: 'Wool socks, size 38',
      Bob: 'A book about birds',
      Cy: 'A 1000-piece jigsaw puzzle',
      Dee: 'Dark chocolate\nA good pen',
      Eve: 'Green tea, loose leaf',
      Finn: 'Anything for the garden',
      Gus: 'A board game for two',
    };
    const eve = visitors[0] as Visitor;
    for (const visitor of visitors) {
      const reminder = reminderLinks.get(visitor.person.email);
      if (reminder !== undefined) {
        visitor.privateUrl = reminder;
        expect(await readPrivatePage(visitor.page, reminder), 'the page the reminder opens').toMatchObject({ holder: visitor.person.name, giftee: gifteeOf.get(visitor.person.name) });
      }
      await saveWishlist(visitor.page, wishes[visitor.person.name] ?? '');
    }
    for (const visitor of visitors) {
      const giftee = gifteeOf.get(visitor.person.name) as string;
      const view = await readPrivatePage(visitor.page, visitor.privateUrl);
      expect(view).toEqual({ holder: visitor.person.name, giftee, gifteeWishlist: wishes[giftee] });
    }
    await checkPage(eve.page, 'the private page, after the draw');
    await screenshot(eve.page, 'private-after-draw-phone');
    await organizer.reload();
    await organizer.getByRole('heading', { name: 'At a glance' }).waitFor();
    expect(await dashboardCounts(organizer)).toEqual({ Status: 'Drawn', Participants: '7', Wishlists: '7', Exclusions: '8' });

    // The organizer's page on a phone, opened with the organizer link.
    const organizerPhone = await (await openContext(PHONE)).newPage();
    await organizerPhone.goto(links.organizerUrl);
    await organizerPhone.getByRole('heading', { name: 'At a glance' }).waitFor();
    expect(await dashboardCounts(organizerPhone)).toEqual({ Status: 'Drawn', Participants: '7', Wishlists: '7', Exclusions: '8' });
    await checkPage(organizerPhone, 'the organizer page, drawn, on a phone');
    await screenshot(organizerPhone, 'organize-drawn-phone', false);

    // Seconds later, no e-mail came twice and none came unasked.
    expect(smtp.received.map(({ subject, to }) => `${subject} to ${to.join(', ')}`)).toEqual([...drawMails, ...reminderMails].map(({ subject, to }) => `${subject} to ${to.join(', ')}`));

    // Secrets: never in a URL the browser sent (fragments stay in the browser), never
    // in a Referer, never in the stage's log. The links people were given and those
    // they were e-mailed each hold a secret of their own.
    const secrets = [links.organizerToken, links.inviteCode, ...givenLinks.map(linkToken), ...smtp.received.map(({ link }) => linkToken(link ?? ''))];
    expect(new Set(secrets).size, 'every link its own secret').toBe(secrets.length);
    for (const secret of secrets) expect(secret).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(requests.length).toBeGreaterThan(50);
    for (const { url, referer } of requests) {
      expect(referer, `a Referer on ${url}`).toBeUndefined();
      for (const secret of secrets) expect(url.includes(secret), `a secret in the requested URL ${url}`).toBe(false);
    }
    const pagesLoaded = new Set(documents.map(({ url }) => new URL(url).pathname.replace(/^\/(organize|join)\/.*$/, '/$1/:id')));
    expect([...pagesLoaded].sort()).toEqual(['/', '/join/:id', '/me', '/organize/:id']);
    for (const { url, referrerPolicy } of documents) expect(referrerPolicy, `the Referrer-Policy of ${url}`).toBe('no-referrer');
    const log = stage.output();
    // The log does tell of the requests, by path.
    expect(log).toContain('/api/v1/me/wishlist');
    expect(log).toContain(`/api/v1/exchanges/${links.exchangeId}/draw`);
    for (const secret of secrets) expect(log.includes(secret), 'a secret in the stage log').toBe(false);

    expect(checkedPages).toEqual([
      'the create page',
      'the create page, with errors',
      'the organizer page, empty',
      'the join page',
      'the private page, before the draw',
      'the organizer page, with an impossible draw explained',
      'the organizer page, drawn',
      'the organizer page, reminders sent',
      'the private page, after the draw',
      'the organizer page, drawn, on a phone',
    ]);
  } finally {
    for (const context of contexts) await context.close();
  }
  expect(problems, 'errors inside the pages').toEqual([]);
}
