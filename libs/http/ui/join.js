// The join page (`/join/<exchangeId>#code=<inviteCode>`): joining, then on to the
// participant's private page, `/me#token=<participantToken>`.
import { api, busy, byId, clearProblem, fragmentParams, showProblem } from './lib.js';

const exchangeId = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const inviteCode = fragmentParams().get('code') ?? '';
const form = /** @type {HTMLFormElement} */ (byId('join-form'));
const errors = byId('join-errors');

if (!inviteCode) {
  showProblem(errors, { detail: 'The invite link is incomplete: the part after # is missing. Ask the organizer for the whole link.' }, null, 'You cannot join yet.');
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void busy(form, async () => {
    clearProblem(errors, form);
    const data = new FormData(form);
    const json = {
      inviteCode,
      name: String(data.get('name') ?? ''),
      email: String(data.get('email') ?? ''),
      wishlist: String(data.get('wishlist') ?? ''),
    };
    const reply = await api('POST', `/api/v1/exchanges/${encodeURIComponent(exchangeId)}/join`, { json });
    if (!reply.ok || !reply.body) {
      const lead = reply.status === 404 ? 'This invite link does not open an exchange: check that you copied all of it.' : 'You have not joined yet.';
      showProblem(errors, reply.problem ?? {}, form, lead);
      return;
    }
    location.assign(`/me#${new URLSearchParams({ token: reply.body.participantToken, joined: '1' })}`);
  });
});
