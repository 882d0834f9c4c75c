import {
  createExchangeSchema,
  drawSchema,
  hashSecret,
  isoNow,
  newId,
  newInviteCode,
  newOrganizerToken,
  parseInput,
  toExchange,
  type ExchangeRecord,
} from '@santa/domain';
import { authorizeOrganizer } from '../auth';
import { parseJson, readBody, readOptionalJsonBody } from '../body';
import { param, type Handler, type RouteContext } from '../context';
import { respondIdempotently } from '../idempotency';
import { sendJson } from '../respond';

export function exchangeRoutes(context: RouteContext): Record<'create' | 'read' | 'draw', Handler> {
  const { store, clock } = context;

  return {
    /** POST /api/v1/exchanges: the only route without a credential that creates something. */
    async create(req, res) {
      const body = await readBody(req, 'json');
      // Drawn before the write, so the response (and its sealed copy) is fixed by then.
      const organizerToken = newOrganizerToken();
      const inviteCode = newInviteCode();
      await respondIdempotently(context, req, res, { credentialHash: '', body }, {
        write(intent) {
          const input = parseInput(createExchangeSchema, parseJson(body));
          return store.createExchange(
            {
              id: newId(),
              name: input.name,
              budget: input.budget,
              exchangeDate: input.exchangeDate,
              rules: input.rules,
              status: 'open',
              createdAt: isoNow(clock),
              drawnAt: null,
              organizerTokenHash: hashSecret(organizerToken),
              inviteCodeHash: hashSecret(inviteCode),
            },
            intent,
          );
        },
        render: (exchange: ExchangeRecord) => ({ status: 201, body: { exchange: toExchange(exchange), organizerToken, inviteCode } }),
      });
    },

    /** GET /api/v1/exchanges/:id: the organizer's dashboard, one store call. */
    async read(req, res) {
      const { exchange } = await authorizeOrganizer(store, req, param(req, 'id'));
      sendJson(res, 200, { exchange: toExchange(exchange) });
    },

    /** POST /api/v1/exchanges/:id/draw: no body, or `{}`. */
    async draw(req, res) {
      const { exchange, tokenHash } = await authorizeOrganizer(store, req, param(req, 'id'));
      const body = await readOptionalJsonBody(req);
      await respondIdempotently(context, req, res, { credentialHash: tokenHash, body }, {
        async write(intent) {
          if (body !== null) parseInput(drawSchema, parseJson(body));
          const drawn = await store.draw(exchange.id, isoNow(clock), context.draw, intent);
          context.onMessagesQueued?.();
          return drawn;
        },
        render: (drawn: ExchangeRecord) => ({ status: 200, body: { exchange: toExchange(drawn) } }),
      });
    },
  };
}
