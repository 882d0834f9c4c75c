// The participant's private page (`/me#token=<participantToken>`): whom I give to and
// their wishlist after the draw, and my own wishlist.
import { api, busy, byId, clearProblem, el, exchangeFacts, fragmentParams, say, showProblem } from './lib.js';

const fragment = fragmentParams();
const token = fragment.get('token') ?? '';
const pageErrors = byId('page-errors');
const form = /** @type {HTMLFormElement} */ (byId('wishlist-form'));
const wishlist = /** @type {HTMLTextAreaElement} */ (byId('wishlist'));

/**
 * @param {{ participant: { name: string, wishlist: string }, exchange: any,
 *           giftee: { name: string, wishlist: string } | null }} view
 */
function render({ participant, exchange, giftee }) {
  document.title = `${exchange.name} · Your Secret Santa page`;
  byId('greeting').textContent = `Hello, ${participant.name}`;
  byId('exchange-facts').textContent = [exchange.name, ...exchangeFacts(exchange)].join(' · ');
  if (giftee === null) {
    byId('giftee').replaceChildren(el('p', {}, 'The names have not been drawn yet. Come back to this page after the draw to see whom you give to.'));
  } else {
    byId('giftee').replaceChildren(
      el('p', { class: 'giftee', id: 'giftee-name' }, giftee.name),
      giftee.wishlist
        ? el('div', {}, el('h3', {}, `${giftee.name}’s wishlist`), el('p', { class: 'wishlist', id: 'giftee-wishlist' }, giftee.wishlist))
        : el('p', { id: 'giftee-wishlist-empty' }, `${giftee.name} has not written a wishlist yet. Look again later.`),
    );
  }
  wishlist.value = participant.wishlist;
}

async function load() {
  const reply = await api('GET', '/api/v1/me', { token });
  byId('loading').hidden = true;
  if (!reply.ok) {
    const known = reply.status === 401 || reply.status === 404;
    showProblem(pageErrors, reply.problem ?? {}, null, known ? 'This private link is not valid: check that you copied all of it.' : 'Your page could not be read.');
    return;
  }
  render(reply.body);
  if (fragment.get('joined')) say(byId('joined'), 'You have joined. Bookmark this page: it is your private link.');
  byId('content').hidden = false;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(form, async () => {
    const errors = byId('wishlist-errors');
    clearProblem(errors, form);
    say(byId('wishlist-status'));
    const reply = await api('PUT', '/api/v1/me/wishlist', { token, json: { wishlist: wishlist.value } });
    if (!reply.ok) {
      showProblem(errors, reply.problem ?? {}, form, 'Your wishlist was not saved.');
      return;
    }
    wishlist.value = reply.body.participant.wishlist;
    say(byId('wishlist-status'), 'Saved. Your Secret Santa sees it now.');
  });
});

if (!token) {
  byId('loading').hidden = true;
  showProblem(pageErrors, { detail: 'Open this page with your private link (the part after # holds your key).' }, null, 'This page needs your private link.');
} else {
  void load();
}
