// The organizer page (`/organize/<exchangeId>#token=<organizerToken>&invite=<inviteCode>`):
// the dashboard, participants, exclusions, the draw and reminders. The token leaves
// the browser only as an Authorization header.
import { api, busy, byId, clearProblem, copyableLink, el, exchangeFacts, fragmentParams, say, showProblem } from './lib.js';

/**
 * @typedef {{ id: string, name: string, email: string, wishlist: string, joinedAt: string }} Participant
 * @typedef {{ giverId: string, receiverId: string }} Exclusion
 * @typedef {{ id: string, name: string, status: 'open' | 'drawn', budget: { amount: number, currency: string } | null,
 *             exchangeDate: string | null, rules: { singleCycle: boolean }, participantCount: number,
 *             wishlistCount: number, exclusionCount: number, drawnAt: string | null }} Exchange
 */

const exchangeId = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const base = `/api/v1/exchanges/${encodeURIComponent(exchangeId)}`;
const storageKey = `organizer:${exchangeId}`;

/** The secrets: from the fragment when the page was opened with them, else from this tab's session. */
const secrets = (() => {
  const fragment = fragmentParams();
  /** @type {{ token?: string, invite?: string }} */
  let stored = {};
  try {
    stored = JSON.parse(sessionStorage.getItem(storageKey) ?? '{}');
  } catch {
    stored = {};
  }
  const token = fragment.get('token') ?? stored.token ?? '';
  const invite = fragment.get('invite') ?? stored.invite ?? '';
  if (token) sessionStorage.setItem(storageKey, JSON.stringify({ token, invite }));
  return { token, invite };
})();

/** @type {{ exchange: Exchange | null, participants: Participant[], exclusions: Exclusion[] }} */
const state = { exchange: null, participants: [], exclusions: [] };

const pageErrors = byId('page-errors');

/** @returns {Promise<Participant[] | null>} every participant, page by page */
async function loadParticipants() {
  /** @type {Participant[]} */
  const all = [];
  let cursor = null;
  do {
    const query = new URLSearchParams({ limit: '500' });
    if (cursor) query.set('cursor', cursor);
    const reply = await api('GET', `${base}/participants?${query}`, { token: secrets.token });
    if (!reply.ok) {
      showProblem(pageErrors, reply.problem ?? {}, null, 'The participants could not be read.');
      return null;
    }
    all.push(...reply.body.items);
    cursor = reply.body.nextCursor;
  } while (cursor);
  return all;
}

/** Reads the exchange, its participants and its exclusions, and shows them. */
async function load() {
  const reply = await api('GET', base, { token: secrets.token });
  if (!reply.ok) {
    byId('loading').hidden = true;
    const known = reply.status === 401 || reply.status === 404;
    showProblem(
      pageErrors,
      reply.problem ?? {},
      null,
      known ? 'This organizer link does not open an exchange: check that you copied all of it.' : 'The exchange could not be read.',
    );
    return;
  }
  const [participants, exclusionsReply] = await Promise.all([loadParticipants(), api('GET', `${base}/exclusions`, { token: secrets.token })]);
  if (participants === null) return;
  if (!exclusionsReply.ok) {
    showProblem(pageErrors, exclusionsReply.problem ?? {}, null, 'The exclusions could not be read.');
    return;
  }
  state.exchange = reply.body.exchange;
  state.participants = participants;
  state.exclusions = exclusionsReply.body.exclusions;
  render();
  byId('loading').hidden = true;
  byId('content').hidden = false;
}

/** Reads the dashboard again after a write, and shows it. */
async function refresh() {
  const reply = await api('GET', base, { token: secrets.token });
  if (reply.ok) state.exchange = reply.body.exchange;
  const participants = await loadParticipants();
  if (participants) state.participants = participants;
  render();
}

/** @param {string} id */
function nameOf(id) {
  const person = state.participants.find((participant) => participant.id === id);
  if (!person) return 'someone who left';
  const namesake = state.participants.some((other) => other.id !== id && other.name === person.name);
  return namesake ? `${person.name} (${person.email})` : person.name;
}

function render() {
  const exchange = state.exchange;
  if (!exchange) return;
  const drawn = exchange.status === 'drawn';
  document.title = `${exchange.name} · Organize · Secret Santa`;
  byId('exchange-name').textContent = exchange.name;
  const facts = exchangeFacts(exchange);
  if (exchange.rules.singleCycle) facts.push('One single circle');
  byId('exchange-facts').textContent = facts.join(' · ');

  const counts = [
    ['Status', drawn ? 'Drawn' : 'Open'],
    ['Participants', String(exchange.participantCount)],
    ['Wishlists', String(exchange.wishlistCount)],
    ['Exclusions', String(exchange.exclusionCount)],
  ];
  byId('counts').replaceChildren(...counts.map(([term, value]) => el('div', {}, el('dt', {}, term), el('dd', { 'data-count': term.toLowerCase() }, value))));

  renderLinks();
  renderPeople(drawn);
  renderExclusions(drawn);
  for (const form of document.querySelectorAll('.before-draw')) /** @type {HTMLElement} */ (form).hidden = drawn;
  const drawButton = /** @type {HTMLButtonElement} */ (byId('draw'));
  drawButton.hidden = drawn;
  if (drawn) {
    byId('draw-explainer').textContent = `Names were drawn${exchange.drawnAt ? ` on ${new Date(exchange.drawnAt).toLocaleString()}` : ''}. Each person sees whom they give to on their private page.`;
  }
}

function renderLinks() {
  const links = byId('links');
  const organizerLink = `${location.origin}/organize/${encodeURIComponent(exchangeId)}#${new URLSearchParams({ token: secrets.token, ...(secrets.invite && { invite: secrets.invite }) })}`;
  const parts = [];
  if (secrets.invite) {
    const invite = `${location.origin}/join/${encodeURIComponent(exchangeId)}#${new URLSearchParams({ code: secrets.invite })}`;
    parts.push(copyableLink('invite-link', 'Invite link: share it with everybody who takes part', invite));
  } else {
    parts.push(el('p', {}, 'The invite link was shown when the exchange was created; open this page with your full organizer link to see it again.'));
  }
  parts.push(copyableLink('organizer-link', 'Your organizer link: keep it private, bookmark it', organizerLink));
  links.replaceChildren(...parts);
}

/** @param {boolean} drawn */
function renderPeople(drawn) {
  byId('no-people').hidden = state.participants.length > 0;
  byId('people').replaceChildren(
    ...state.participants.map((person) =>
      el(
        'li',
        {},
        el(
          'span',
          {},
          el('strong', {}, person.name),
          ' ',
          el('span', { class: 'person-email' }, person.email),
          ' ',
          el('span', { class: 'person-email' }, person.wishlist ? '· has a wishlist' : '· no wishlist yet'),
        ),
        !drawn && el('button', { type: 'button', class: 'secondary small', 'aria-label': `Remove ${person.name}`, onclick: () => removePerson(person) }, 'Remove'),
      ),
    ),
  );

  const options = () => state.participants.map((person) => el('option', { value: person.id }, nameOf(person.id)));
  byId('pair-giver').replaceChildren(...options());
  const receiver = /** @type {HTMLSelectElement} */ (byId('pair-receiver'));
  receiver.replaceChildren(...options());
  if (state.participants.length > 1) receiver.selectedIndex = 1;
  byId('household-members').replaceChildren(
    ...state.participants.map((person, index) =>
      el('label', { class: 'check', for: `household-${index}` }, el('input', { id: `household-${index}`, type: 'checkbox', value: person.id }), el('span', {}, nameOf(person.id))),
    ),
  );
}

/**
 * "Ann", "Ann and Bob", "Ann, Bob and Cy".
 * @param {string[]} names
 */
function listNames(names) {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/**
 * Households among the exclusions: three or more people of whom every one excludes
 * every other, both ways, and nobody else through such pairs. Listed as one line, they
 * are removed as one, as they were added.
 * @returns {string[][]} each household's participant ids, in the order people are listed
 */
function households() {
  const keys = new Set(state.exclusions.map(({ giverId, receiverId }) => `${giverId} ${receiverId}`));
  /** @type {Map<string, Set<string>>} who excludes whom both ways */
  const mutual = new Map();
  for (const { giverId, receiverId } of state.exclusions) {
    if (!keys.has(`${receiverId} ${giverId}`)) continue;
    if (!mutual.has(giverId)) mutual.set(giverId, new Set());
    mutual.get(giverId)?.add(receiverId);
  }
  const order = new Map(state.participants.map((person, index) => [person.id, index]));
  const seen = new Set();
  const found = [];
  for (const start of mutual.keys()) {
    if (seen.has(start)) continue;
    // The group reachable through mutual pairs; a household when each knows all the others.
    const group = [start];
    seen.add(start);
    for (let index = 0; index < group.length; index++) {
      for (const next of mutual.get(group[index]) ?? []) {
        if (!seen.has(next)) {
          seen.add(next);
          group.push(next);
        }
      }
    }
    if (group.length >= 3 && group.every((id) => (mutual.get(id)?.size ?? 0) === group.length - 1)) {
      found.push(group.sort((a, b) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity)));
    }
  }
  return found;
}

/** @param {boolean} drawn */
function renderExclusions(drawn) {
  const keys = new Set(state.exclusions.map(({ giverId, receiverId }) => `${giverId} ${receiverId}`));
  const shown = new Set();
  const items = [];
  /**
   * @param {string} text
   * @param {() => Promise<void>} remove
   */
  const item = (text, remove) => el('li', {}, el('span', {}, text), !drawn && el('button', { type: 'button', class: 'secondary small', 'aria-label': `Remove: ${text}`, onclick: remove }, 'Remove'));
  for (const members of households()) {
    const inside = new Set(members);
    for (const giverId of members) for (const receiverId of members) shown.add(`${giverId} ${receiverId}`);
    const text = `${listNames(members.map(nameOf))} never draw each other`;
    const remove = () =>
      saveExclusions(
        state.exclusions.filter(({ giverId, receiverId }) => !(inside.has(giverId) && inside.has(receiverId))),
        `Removed: ${text}.`,
      );
    items.push(item(text, remove));
  }
  for (const { giverId, receiverId } of state.exclusions) {
    if (shown.has(`${giverId} ${receiverId}`)) continue;
    shown.add(`${giverId} ${receiverId}`);
    const mutual = keys.has(`${receiverId} ${giverId}`);
    if (mutual) shown.add(`${receiverId} ${giverId}`);
    const text = mutual ? `${nameOf(giverId)} and ${nameOf(receiverId)} never draw each other` : `${nameOf(giverId)} must not draw ${nameOf(receiverId)}`;
    const remove = () =>
      saveExclusions(
        state.exclusions.filter((exclusion) => !sameOrReverse(exclusion, giverId, receiverId, mutual)),
        `Removed: ${text}.`,
      );
    items.push(item(text, remove));
  }
  byId('exclusions').replaceChildren(...items);
  byId('no-exclusions').hidden = items.length > 0;
}

/**
 * @param {Exclusion} exclusion
 * @param {string} giverId
 * @param {string} receiverId
 * @param {boolean} reverseToo
 */
function sameOrReverse(exclusion, giverId, receiverId, reverseToo) {
  if (exclusion.giverId === giverId && exclusion.receiverId === receiverId) return true;
  return reverseToo && exclusion.giverId === receiverId && exclusion.receiverId === giverId;
}

/**
 * Replaces the whole set (the API's PUT), then shows what the server keeps.
 * @param {Exclusion[]} exclusions
 * @param {string} outcome
 */
async function saveExclusions(exclusions, outcome) {
  const errors = byId('exclusion-errors');
  const status = byId('exclusion-status');
  clearProblem(errors);
  say(status);
  const section = /** @type {HTMLElement} */ (byId('exclusions').closest('section'));
  await busy(section, async () => {
    const reply = await api('PUT', `${base}/exclusions`, { token: secrets.token, json: { exclusions } });
    if (!reply.ok) {
      showProblem(errors, reply.problem ?? {}, null, 'The exclusions were not changed.');
      return;
    }
    state.exclusions = reply.body.exclusions;
    await refresh();
    say(status, outcome);
  });
}

/**
 * The set with these pairs added, each once.
 * @param {Exclusion[]} pairs
 * @returns {Exclusion[]}
 */
function withPairs(pairs) {
  const keys = new Set(state.exclusions.map(({ giverId, receiverId }) => `${giverId} ${receiverId}`));
  const added = pairs.filter(({ giverId, receiverId }) => !keys.has(`${giverId} ${receiverId}`) && keys.add(`${giverId} ${receiverId}`));
  return [...state.exclusions, ...added];
}

byId('pair-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const giverId = /** @type {HTMLSelectElement} */ (byId('pair-giver')).value;
  const receiverId = /** @type {HTMLSelectElement} */ (byId('pair-receiver')).value;
  const both = /** @type {HTMLInputElement} */ (byId('pair-both')).checked;
  if (!giverId || giverId === receiverId) {
    showProblem(byId('exclusion-errors'), { detail: 'Choose two different people.' }, null, 'The exclusion was not added.');
    return;
  }
  const pairs = [{ giverId, receiverId }, ...(both ? [{ giverId: receiverId, receiverId: giverId }] : [])];
  const text = both ? `${nameOf(giverId)} and ${nameOf(receiverId)} never draw each other` : `${nameOf(giverId)} must not draw ${nameOf(receiverId)}`;
  void saveExclusions(withPairs(pairs), `Added: ${text}.`);
});

byId('household-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const members = [.../** @type {NodeListOf<HTMLInputElement>} */ (byId('household-members').querySelectorAll('input:checked'))].map((box) => box.value);
  if (members.length < 2) {
    showProblem(byId('exclusion-errors'), { detail: 'Tick at least two people of the household.' }, null, 'The household was not added.');
    return;
  }
  // A household: every directed pair within it.
  const pairs = members.flatMap((giverId) => members.filter((receiverId) => receiverId !== giverId).map((receiverId) => ({ giverId, receiverId })));
  void saveExclusions(withPairs(pairs), `Added a household: ${listNames(members.map(nameOf))} never draw each other.`);
});

/** @param {Participant} person */
async function removePerson(person) {
  const status = byId('add-status');
  const errors = byId('add-errors');
  clearProblem(errors);
  const reply = await api('DELETE', `${base}/participants/${encodeURIComponent(person.id)}`, { token: secrets.token });
  if (!reply.ok) {
    showProblem(errors, reply.problem ?? {}, null, `${person.name} was not removed.`);
    return;
  }
  const exclusions = await api('GET', `${base}/exclusions`, { token: secrets.token });
  if (exclusions.ok) state.exclusions = exclusions.body.exclusions;
  await refresh();
  say(status, `Removed ${person.name}.`);
}

/**
 * Lists the private link of someone the organizer added (shown only now).
 * @param {{ participant: Participant, participantToken: string }} added
 */
function listPrivateLink({ participant, participantToken }) {
  const url = `${location.origin}/me#${new URLSearchParams({ token: participantToken })}`;
  const index = byId('new-links').childElementCount;
  byId('new-links').append(el('li', {}, copyableLink(`private-link-${index}`, `Private link for ${participant.name}`, url)));
  byId('new-links-block').hidden = false;
}

const addForm = /** @type {HTMLFormElement} */ (byId('add-form'));
addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(addForm, async () => {
    const errors = byId('add-errors');
    clearProblem(errors, addForm);
    say(byId('add-status'));
    const data = new FormData(addForm);
    const json = { name: String(data.get('name') ?? ''), email: String(data.get('email') ?? ''), wishlist: String(data.get('wishlist') ?? '') };
    const reply = await api('POST', `${base}/participants`, { token: secrets.token, json });
    if (!reply.ok) {
      showProblem(errors, reply.problem ?? {}, addForm, 'The participant was not added.');
      return;
    }
    listPrivateLink(reply.body);
    addForm.reset();
    await refresh();
    say(byId('add-status'), `Added ${reply.body.participant.name}. Their private link is listed above.`);
    /** @type {HTMLElement} */ (addForm.querySelector('input'))?.focus();
  });
});

const csvForm = /** @type {HTMLFormElement} */ (byId('csv-form'));
csvForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(csvForm, async () => {
    const errors = byId('csv-errors');
    clearProblem(errors, csvForm);
    say(byId('csv-status'));
    const file = /** @type {HTMLInputElement} */ (byId('csv-file')).files?.[0];
    if (!file) {
      showProblem(errors, { detail: 'Choose a CSV file first.' }, csvForm, 'Nothing was imported.');
      return;
    }
    const reply = await api('POST', `${base}/participants.csv`, { token: secrets.token, body: await file.text(), contentType: 'text/csv' });
    if (!reply.ok) {
      showProblem(errors, reply.problem ?? {}, csvForm, 'Nothing was imported.');
      return;
    }
    for (const added of reply.body.participants) listPrivateLink(added);
    csvForm.reset();
    await refresh();
    say(byId('csv-status'), `Imported ${reply.body.created} ${reply.body.created === 1 ? 'person' : 'people'}. Their private links are listed above.`);
  });
});

/**
 * A problem whose errors point at participants (`/participants/<id>`, as an impossible
 * draw names the group that blocks it) with each person's name in place of the id.
 * @param {import('./lib.js').Problem} problem
 * @returns {import('./lib.js').Problem}
 */
function namedProblem(problem) {
  const errors = problem.errors?.map(({ path, message }) => {
    const id = /^\/participants\/(.+)$/.exec(path)?.[1];
    return id === undefined ? { path, message } : { path: nameOf(decodeURIComponent(id)), message };
  });
  return errors ? { ...problem, errors } : problem;
}

const drawButton = byId('draw');
drawButton.addEventListener('click', () => {
  const section = /** @type {HTMLElement} */ (drawButton.closest('section'));
  void busy(section, async () => {
    const errors = byId('draw-errors');
    clearProblem(errors);
    say(byId('draw-status'));
    const reply = await api('POST', `${base}/draw`, { token: secrets.token });
    if (!reply.ok) {
      showProblem(errors, namedProblem(reply.problem ?? {}), null, 'The names were not drawn.');
      return;
    }
    state.exchange = reply.body.exchange;
    render();
    say(byId('draw-status'), 'The names are drawn. Everybody can now open their private page to see whom they give to.');
  });
});

const remindButton = byId('remind');
remindButton.addEventListener('click', () => {
  const section = /** @type {HTMLElement} */ (remindButton.closest('section'));
  void busy(section, async () => {
    const errors = byId('reminder-errors');
    const status = byId('reminder-status');
    clearProblem(errors);
    say(status);
    const reply = await api('POST', `${base}/reminders`, { token: secrets.token });
    if (reply.ok) {
      const queued = Number(reply.body?.queued ?? 0);
      say(status, queued === 0 ? 'Everybody has a wishlist: no reminder was needed.' : `Reminders are on their way to ${queued} ${queued === 1 ? 'person' : 'people'} without a wishlist.`);
    } else if (reply.status === 404 && reply.problem?.code === 'not_found') {
      showProblem(errors, reply.problem, null, 'No reminder was sent: this server does not know the exchange.');
    } else {
      showProblem(errors, reply.problem ?? {}, null, 'No reminder was sent.');
    }
  });
});

if (!secrets.token) {
  byId('loading').hidden = true;
  showProblem(pageErrors, { detail: 'Open this page with the organizer link you got when you created the exchange (the part after # holds your key).' }, null, 'This page needs your organizer link.');
} else {
  void load();
}
