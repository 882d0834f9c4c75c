import { hashSecret, parseInput, toExchange, toParticipant, wishlistSchema } from '@santa/domain';
import { UnauthorizedError, requireBearerToken } from '../auth';
import { parseJson, readBody } from '../body';
import type { Handler, RouteContext } from '../context';
import { sendJson } from '../respond';

export function meRoutes({ store }: RouteContext): Record<'read' | 'updateWishlist', Handler> {
  return {
    /**
     * GET /api/v1/me: the hot read. One store call; the giftee is shown by name and
     * wishlist only, and only to their giver, whose token this is.
     */
    async read(req, res) {
      const view = await store.getMeView(hashSecret(requireBearerToken(req)));
      if (view === null) throw new UnauthorizedError(true);
      const { giftee } = view;
      sendJson(res, 200, {
        participant: toParticipant(view.participant),
        exchange: toExchange(view.exchange),
        giftee: giftee === null ? null : { name: giftee.name, wishlist: giftee.wishlist },
      });
    },

    /**
     * PUT /api/v1/me/wishlist, before or after the draw. The token is checked by the
     * write itself (one store call), so a malformed body is reported before an
     * unknown token; a missing token is refused before the body is read.
     */
    async updateWishlist(req, res) {
      const tokenHash = hashSecret(requireBearerToken(req));
      const { wishlist } = parseInput(wishlistSchema, parseJson(await readBody(req, 'json')));
      const participant = await store.updateWishlist(tokenHash, wishlist);
      if (participant === null) throw new UnauthorizedError(true);
      sendJson(res, 200, { participant: toParticipant(participant) });
    },
  };
}
