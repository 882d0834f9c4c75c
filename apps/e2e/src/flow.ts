/**
 * What people do in the UI, step by step, as a person does it: by the labels and
 * button names they read.
 */
import type { Page } from 'playwright-core';

export interface NewExchange {
  name: string;
  budget?: { amount: string; currency: string };
  /** YYYY-MM-DD */
  date?: string;
  singleCycle?: boolean;
}

export interface OrganizerLinks {
  /** `/organize/<id>#token=...&invite=...`, absolute. */
  organizerUrl: string;
  /** `/join/<id>#code=...`, absolute. */
  inviteUrl: string;
  exchangeId: string;
  organizerToken: string;
  inviteCode: string;
}

/**
 * Fills the create page with the keyboard alone (Tab to each field, type, Space to
 * tick, Enter on the button); resolves on the organizer page.
 */
export async function createExchangeByKeyboard(page: Page, exchange: NewExchange): Promise<OrganizerLinks> {
  await tabTo(page, '#name');
  await page.keyboard.type(exchange.name);
  if (exchange.budget) {
    await tabTo(page, '#amount');
    await page.keyboard.type(exchange.budget.amount);
    await tabTo(page, '#currency');
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type(exchange.budget.currency);
  }
  if (exchange.date) {
    // A date field takes its digits in the order of the browser's locale (en-US: month, day, year).
    const [year = '', month = '', day = ''] = exchange.date.split('-');
    const digits: Record<string, string> = { year, month, day };
    const order = await page.evaluate(() =>
      new Intl.DateTimeFormat(navigator.language, { year: 'numeric', month: '2-digit', day: '2-digit' })
        .formatToParts(new Date())
        .map(({ type }) => type)
        .filter((type) => type === 'year' || type === 'month' || type === 'day'),
    );
    await tabTo(page, '#date');
    await page.keyboard.type(order.map((part) => digits[part]).join(''));
    const typed = await page.locator('#date').inputValue();
    if (typed !== exchange.date) throw new Error(`typing the date ${exchange.date} into the date field gave ${typed}`);
  }
  if (exchange.singleCycle) {
    await tabTo(page, '#single-cycle');
    await page.keyboard.press('Space');
  }
  await tabTo(page, 'button[type=submit]');
  await page.keyboard.press('Enter');
  await waitForOrganizerPage(page);
  await page.getByRole('heading', { level: 1, name: exchange.name }).waitFor();
  return organizerLinks(page);
}

/** Waits for the organizer page after creating; fails with the create form's errors if it shows them. */
async function waitForOrganizerPage(page: Page): Promise<void> {
  const errors = page.locator('#create-errors .error-title');
  await Promise.race([page.waitForURL(/\/organize\/[^/#]+#/), errors.waitFor()]);
  if (!/\/organize\//.test(page.url())) throw new Error(`the exchange was not created: ${await page.locator('#create-errors').innerText()}`);
}

/** Presses Tab until the focus is on what `selector` matches; fails if it never gets there. */
async function tabTo(page: Page, selector: string, maxPresses = 30): Promise<void> {
  for (let presses = 0; presses < maxPresses; presses++) {
    if (await page.evaluate((wanted) => document.activeElement?.matches(wanted) ?? false, selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${maxPresses} presses of Tab never reached ${selector}`);
}

/** The links the organizer page shows, and the secrets in them. */
export async function organizerLinks(page: Page): Promise<OrganizerLinks> {
  const organizerUrl = await page.getByLabel(/Your organizer link/).inputValue();
  const inviteUrl = await page.getByLabel(/Invite link/).inputValue();
  const organizer = new URL(organizerUrl);
  const invite = new URL(inviteUrl);
  const fragment = new URLSearchParams(organizer.hash.slice(1));
  return {
    organizerUrl,
    inviteUrl,
    exchangeId: decodeURIComponent(organizer.pathname.split('/')[2] ?? ''),
    organizerToken: fragment.get('token') ?? '',
    inviteCode: new URLSearchParams(invite.hash.slice(1)).get('code') ?? '',
  };
}

export interface Person {
  name: string;
  email: string;
  wishlist?: string;
}

/** The organizer adds one person; resolves with that person's private link, shown once. */
export async function addParticipant(page: Page, person: Person): Promise<string> {
  const form = page.locator('#add-form');
  await form.getByLabel('Name').fill(person.name);
  await form.getByLabel('E-mail address').fill(person.email);
  await form.getByLabel('Wishlist (optional)').fill(person.wishlist ?? '');
  await form.getByRole('button', { name: 'Add participant' }).click();
  await form.getByRole('status').getByText(`Added ${person.name}.`).waitFor();
  return page.getByLabel(`Private link for ${person.name}`).inputValue();
}

/** The organizer imports a CSV file; resolves with each imported person's private link. */
export async function importCsv(page: Page, csv: string, names: readonly string[]): Promise<string[]> {
  const form = page.locator('#csv-form');
  await form.getByLabel('CSV file').setInputFiles({ name: 'people.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await form.getByRole('button', { name: 'Import' }).click();
  await form.getByRole('status').getByText(/^Imported /).waitFor();
  const links: string[] = [];
  for (const name of names) links.push(await page.getByLabel(`Private link for ${name}`).inputValue());
  return links;
}

/** Someone opens the invite link and joins; resolves on their private page with its URL. */
export async function join(page: Page, inviteUrl: string, person: Person): Promise<string> {
  await page.goto(inviteUrl);
  await page.getByLabel('Your name').fill(person.name);
  await page.getByLabel('Your e-mail address').fill(person.email);
  if (person.wishlist !== undefined) await page.getByLabel(/^Your wishlist/).fill(person.wishlist);
  await page.getByRole('button', { name: 'Join' }).click();
  await page.waitForURL(/\/me#token=/);
  await page.getByRole('heading', { level: 1, name: `Hello, ${person.name}` }).waitFor();
  return page.url().replace(/&joined=1$/, '');
}

/** The organizer excludes a pair, one way or both. */
export async function excludePair(page: Page, giver: string, receiver: string, bothWays = true): Promise<void> {
  const form = page.locator('#pair-form');
  await form.getByLabel('This person').selectOption({ label: giver });
  await form.getByLabel('must not draw').selectOption({ label: receiver });
  await form.getByLabel(/Both ways/).setChecked(bothWays);
  await form.getByRole('button', { name: 'Add this exclusion' }).click();
  await page.locator('#exclusion-status').getByText('Added: ').waitFor();
}

/** The organizer makes a household: nobody in it draws anybody else in it. */
export async function excludeHousehold(page: Page, members: readonly string[]): Promise<void> {
  const form = page.locator('#household-form');
  for (const member of members) await form.getByLabel(member, { exact: true }).check();
  await form.getByRole('button', { name: 'Add this household' }).click();
  await page.locator('#exclusion-status').getByText('Added a household').waitFor();
}

/** The organizer removes one listed exclusion by what it says ("Ann and Bob never draw each other"). */
export async function removeExclusion(page: Page, text: string): Promise<void> {
  await page.getByRole('button', { name: `Remove: ${text}` }).click();
  await page.locator('#exclusion-status').getByText(`Removed: ${text}.`).waitFor();
}

/** The organizer draws; resolves with the error shown, or null when the names were drawn. */
export async function draw(page: Page): Promise<string | null> {
  await page.getByRole('button', { name: 'Draw names' }).click();
  const drawn = page.locator('#draw-status').getByText('The names are drawn.');
  const refused = page.locator('#draw-errors .error-title');
  await drawn.or(refused).waitFor();
  return (await refused.count()) > 0 ? await refused.innerText() : null;
}

/** The organizer sends reminders to people without a wishlist; resolves with what the page says, or the error it shows. */
export async function sendReminders(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Remind people without a wishlist' }).click();
  const said = page.locator('#reminder-status').getByText(/\S/);
  const refused = page.locator('#reminder-errors .error-title');
  await said.or(refused).waitFor();
  return (await refused.count()) > 0 ? await refused.innerText() : await said.innerText();
}

/** The dashboard's counts, by what they are called. */
export async function dashboardCounts(page: Page): Promise<Record<string, string>> {
  const counts: Record<string, string> = {};
  for (const item of await page.locator('#counts > div').all()) {
    counts[(await item.locator('dt').innerText()).trim()] = (await item.locator('dd').innerText()).trim();
  }
  return counts;
}

export interface PrivateView {
  /** Whose page it is, by the name it greets. */
  holder: string;
  /** Null before the draw. */
  giftee: string | null;
  /** The giftee's wishlist as shown, '' when they have none. */
  gifteeWishlist: string;
}

/** What a participant's private page shows once loaded. */
export async function readPrivatePage(page: Page, url: string): Promise<PrivateView> {
  const samePage = page.url().split('#')[0] === url.split('#')[0];
  await page.goto(url);
  // Another fragment on the same page is no new load: load it afresh, as a person reloads.
  if (samePage) await page.reload();
  await page.getByRole('heading', { name: 'Whom you give to' }).waitFor();
  const name = page.locator('#giftee-name');
  await name.or(page.locator('#giftee').getByText('The names have not been drawn yet.')).waitFor();
  const holder = (await page.getByRole('heading', { level: 1 }).innerText()).replace(/^Hello, /, '');
  if ((await name.count()) === 0) return { holder, giftee: null, gifteeWishlist: '' };
  const wishlist = page.locator('#giftee-wishlist');
  return { holder, giftee: await name.innerText(), gifteeWishlist: (await wishlist.count()) > 0 ? ((await wishlist.textContent()) ?? '') : '' };
}

/** A participant saves their wishlist on their private page. */
export async function saveWishlist(page: Page, wishlist: string): Promise<void> {
  await page.getByLabel(/^What would you like\?/).fill(wishlist);
  await page.getByRole('button', { name: 'Save my wishlist' }).click();
  await page.locator('#wishlist-status').getByText('Saved.').waitFor();
}
