// The create page (`/`): a new exchange, then on to its organizer page with the
// organizer token and the invite code in the fragment (both are shown only once).
import { api, busy, byId, clearProblem, showProblem } from './lib.js';

const form = /** @type {HTMLFormElement} */ (byId('create-form'));
const errors = byId('create-errors');

/**
 * The request body from the form: optional fields are left out when empty; whatever
 * was typed is sent as typed, so the server's message names what is wrong.
 * @returns {Record<string, unknown>}
 */
function exchangeBody() {
  const data = new FormData(form);
  /** @type {Record<string, unknown>} */
  const body = { name: String(data.get('name') ?? '') };
  const amount = String(data.get('amount') ?? '').trim();
  if (amount !== '') {
    const number = Number(amount);
    body.budget = { amount: Number.isFinite(number) ? number : amount, currency: String(data.get('currency') ?? '').trim().toUpperCase() };
  }
  const date = String(data.get('date') ?? '');
  if (date !== '') body.exchangeDate = date;
  body.rules = { singleCycle: data.get('singleCycle') !== null };
  return body;
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(form, async () => {
    clearProblem(errors, form);
    const reply = await api('POST', '/api/v1/exchanges', { json: exchangeBody() });
    if (!reply.ok || !reply.body) {
      showProblem(errors, reply.problem ?? {}, form, 'The exchange was not created.');
      return;
    }
    const { exchange, organizerToken, inviteCode } = reply.body;
    sessionStorage.setItem(`organizer:${exchange.id}`, JSON.stringify({ token: organizerToken, invite: inviteCode }));
    const fragment = new URLSearchParams({ token: organizerToken, invite: inviteCode });
    location.assign(`/organize/${encodeURIComponent(exchange.id)}#${fragment}`);
  });
});
