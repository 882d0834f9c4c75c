import { ROUTES, expectStatus, jsonBody, randomHex, type Api, type RouteName } from './http.ts';
import { pick, type Tokens } from './tokens.ts';

/** What one iteration does, and which routes and tokens it needs. */
export interface Workload {
  routes: RouteName[];
  /** False for a workload that makes its own data and reads no token file. */
  needsTokens: boolean;
  /** Throws, before the load starts, when the token file cannot feed this workload. */
  checkTokens?(tokens: Tokens): void;
  iteration(api: Api, tokens: Tokens | undefined): void;
}

/** Participants reading their own page: who they give to and that person's wishlist. The hot read. */
export const reveal: Workload = {
  routes: [ROUTES.me],
  needsTokens: true,
  checkTokens: requireParticipants,
  iteration(api, tokens) {
    readMe(api, tokens as Tokens);
  },
};

/** Organizers reading their exchange, with its exact counts. */
export const dashboard: Workload = {
  routes: [ROUTES.exchange],
  needsTokens: true,
  checkTokens: requireExchanges,
  iteration(api, tokens) {
    readExchange(api, tokens as Tokens);
  },
};

/**
 * The share of each operation in `mixed`, in percent. Reads dominate as they do in a
 * real exchange; wishlist edits are the common write; joins add participants.
 */
export const MIXED_SHARES = { me: 70, exchange: 20, wishlist: 8, join: 2 } as const;

/** Reads plus wishlist writes and joins, each iteration one of them, in MIXED_SHARES proportions. */
export const mixed: Workload = {
  routes: [ROUTES.me, ROUTES.exchange, ROUTES.wishlist, ROUTES.join],
  needsTokens: true,
  checkTokens(tokens) {
    requireParticipants(tokens);
    requireExchanges(tokens);
    if (tokens.openExchanges.length === 0) {
      throw new Error('mixed joins exchanges that are still open, and every exchange of the token file is drawn: generate the data with a drawn rate below 1.');
    }
  },
  iteration(api, tokens) {
    const known = tokens as Tokens;
    const roll = Math.random() * 100;
    if (roll < MIXED_SHARES.me) readMe(api, known);
    else if (roll < MIXED_SHARES.me + MIXED_SHARES.exchange) readExchange(api, known);
    else if (roll < MIXED_SHARES.me + MIXED_SHARES.exchange + MIXED_SHARES.wishlist) updateWishlist(api, known);
    else join(api, known);
  },
};

/** Participants an organizer adds to each new exchange before drawing it; the draw needs at least 3. */
export const ORGANIZER_PARTICIPANTS = 5;

/**
 * An organizer's whole session: create an exchange, add participants one by one, draw.
 * Each iteration sends 2 + ORGANIZER_PARTICIPANTS POSTs, all of them writes.
 */
export const organizer: Workload = {
  routes: [ROUTES.createExchange, ROUTES.addParticipant, ROUTES.draw],
  needsTokens: false,
  iteration(api) {
    const created = api.post('/exchanges', undefined, { name: `Load ${randomHex(4)}`, budget: { amount: 25, currency: 'EUR' } }, ROUTES.createExchange);
    if (!expectStatus(created, ROUTES.createExchange, 201)) return;
    const exchange = jsonBody<{ exchange: { id: string }; organizerToken: string }>(created);
    if (exchange === undefined) return;
    const { id } = exchange.exchange;
    for (let index = 0; index < ORGANIZER_PARTICIPANTS; index += 1) {
      const added = api.post(`/exchanges/${id}/participants`, exchange.organizerToken, newPerson(), ROUTES.addParticipant);
      if (!expectStatus(added, ROUTES.addParticipant, 201)) return;
    }
    const drawn = api.post(`/exchanges/${id}/draw`, exchange.organizerToken, {}, ROUTES.draw);
    expectStatus(drawn, ROUTES.draw, 200);
  },
};

export const WORKLOADS = { reveal, dashboard, mixed, organizer } satisfies Record<string, Workload>;

/** What the capacity scenario can ramp: the workloads that read the token file's data. */
export const CAPACITY_WORKLOADS = new Map<string, Workload>([
  ['reveal', reveal],
  ['dashboard', dashboard],
  ['mixed', mixed],
]);

function readMe(api: Api, tokens: Tokens): void {
  expectStatus(api.get('/me', pick(tokens.participantTokens), ROUTES.me), ROUTES.me, 200);
}

function readExchange(api: Api, tokens: Tokens): void {
  const exchange = pick(tokens.exchanges);
  expectStatus(api.get(`/exchanges/${exchange.id}`, exchange.organizerToken, ROUTES.exchange), ROUTES.exchange, 200);
}

function updateWishlist(api: Api, tokens: Tokens): void {
  const body = { wishlist: `Books, tea, warm socks (${randomHex(4)})` };
  expectStatus(api.put('/me/wishlist', pick(tokens.participantTokens), body, ROUTES.wishlist), ROUTES.wishlist, 200);
}

function join(api: Api, tokens: Tokens): void {
  const exchange = pick(tokens.openExchanges);
  const body = { inviteCode: exchange.inviteCode, ...newPerson() };
  expectStatus(api.post(`/exchanges/${exchange.id}/join`, undefined, body, ROUTES.join), ROUTES.join, 201);
}

/** E-mail addresses are unique per exchange: 64 random bits keep repeated runs on the same data apart. */
function newPerson(): { name: string; email: string; wishlist: string } {
  const tag = randomHex(8);
  return { name: `Guest ${tag.slice(0, 6)}`, email: `guest-${tag}@example.test`, wishlist: 'Surprise me' };
}

function requireParticipants(tokens: Tokens): void {
  if (tokens.participantTokens.length === 0) throw new Error('The token file holds no participant tokens.');
}

function requireExchanges(tokens: Tokens): void {
  if (tokens.exchanges.length === 0) throw new Error('The token file holds no exchanges.');
}
