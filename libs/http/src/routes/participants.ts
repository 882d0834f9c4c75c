import {
  addParticipantSchema,
  encodeParticipantCursor,
  hashSecret,
  isId,
  isoNow,
  joinSchema,
  listParticipantsQuerySchema,
  newId,
  newParticipantToken,
  parseInput,
  secretMatchesHash,
  toParticipant,
  type AddParticipantInput,
  type ParticipantRecord,
} from '@santa/domain';
import { authorizeOrganizer, notFound } from '../auth';
import { parseJson, readBody } from '../body';
import { param, type Handler, type RouteContext } from '../context';
import { respondIdempotently, type Rendered } from '../idempotency';
import { sendJson } from '../respond';

/** A new participant record and the token that is its private link (shown once). */
export function newParticipant(
  exchangeId: string,
  input: AddParticipantInput,
  clock: () => number,
): { record: ParticipantRecord; token: string } {
  const token = newParticipantToken();
  return {
    token,
    record: {
      id: newId(),
      exchangeId,
      name: input.name,
      email: input.email,
      wishlist: input.wishlist,
      joinedAt: isoNow(clock),
      tokenHash: hashSecret(token),
    },
  };
}

/** The 201 of a single added participant: their public record and their token. */
function renderAdded([participant]: ParticipantRecord[], token: string): Rendered {
  return { status: 201, body: { participant: toParticipant(participant as ParticipantRecord), participantToken: token } };
}

export function participantRoutes(context: RouteContext): Record<'list' | 'add' | 'join' | 'remove', Handler> {
  const { store, clock } = context;

  return {
    /** GET /api/v1/exchanges/:id/participants?limit=&cursor= */
    async list(req, res) {
      const { exchange } = await authorizeOrganizer(store, req, param(req, 'id'));
      const { limit, cursor } = parseInput(listParticipantsQuerySchema, req.query, 'The query is invalid; see errors.');
      // One row more than asked tells whether another page follows.
      const rows = await store.listParticipants(exchange.id, { limit: limit + 1, after: cursor });
      const more = rows.length > limit;
      const items = more ? rows.slice(0, limit) : rows;
      const last = items.at(-1);
      sendJson(res, 200, {
        // Only the public fields, whatever else a store's rows carry.
        items: items.map(({ id, name, email, wishlist, joinedAt }) => ({ id, name, email, wishlist, joinedAt })),
        nextCursor: more && last ? encodeParticipantCursor(last) : null,
      });
    },

    /** POST /api/v1/exchanges/:id/participants: the organizer adds somebody. */
    async add(req, res) {
      const { exchange, tokenHash } = await authorizeOrganizer(store, req, param(req, 'id'));
      const body = await readBody(req, 'json');
      let token = '';
      await respondIdempotently(context, req, res, { credentialHash: tokenHash, body }, {
        write(intent) {
          const added = newParticipant(exchange.id, parseInput(addParticipantSchema, parseJson(body)), clock);
          token = added.token;
          return store.addParticipants(exchange.id, [added.record], intent);
        },
        render: (participants: ParticipantRecord[]) => renderAdded(participants, token),
      });
    },

    /**
     * POST /api/v1/exchanges/:id/join: anybody with the invite code. A wrong code is
     * answered like an unknown exchange, so codes cannot be probed per exchange.
     */
    async join(req, res) {
      const exchangeId = param(req, 'id');
      if (!isId(exchangeId)) throw notFound('No such exchange.');
      const body = await readBody(req, 'json');
      let token = '';
      await respondIdempotently(context, req, res, { credentialHash: '', body }, {
        async write(intent) {
          const input = parseInput(joinSchema, parseJson(body));
          const exchange = await store.getExchange(exchangeId);
          if (exchange === null || !secretMatchesHash(input.inviteCode, exchange.inviteCodeHash)) {
            throw notFound('No exchange with this id and invite code.');
          }
          const added = newParticipant(exchange.id, input, clock);
          token = added.token;
          return store.addParticipants(exchange.id, [added.record], intent);
        },
        render: (participants: ParticipantRecord[]) => renderAdded(participants, token),
      });
    },

    /** DELETE /api/v1/exchanges/:id/participants/:pid (also removes their exclusions). */
    async remove(req, res) {
      const { exchange } = await authorizeOrganizer(store, req, param(req, 'id'));
      const participantId = param(req, 'pid');
      if (!isId(participantId)) throw notFound('No such participant in this exchange.');
      await store.removeParticipant(exchange.id, participantId);
      res.statusCode = 204;
      res.setHeader('Cache-Control', 'no-store');
      res.end();
    },
  };
}
