import { drawSchema, isoNow, parseInput } from '@santa/domain';
import { authorizeOrganizer } from '../auth';
import { parseJson, readOptionalJsonBody } from '../body';
import { param, type Handler, type RouteContext } from '../context';
import { respondIdempotently } from '../idempotency';

export function reminderRoutes(context: RouteContext): Record<'queue', Handler> {
  const { store, clock } = context;

  return {
    /**
     * POST /api/v1/exchanges/:id/reminders: no body, or `{}` (as for the draw). Queues
     * an e-mail for each participant with an empty wishlist who was not reminded in the
     * last hour, and answers 202 with how many: the e-mails go out from the outbox.
     */
    async queue(req, res) {
      const { exchange, tokenHash } = await authorizeOrganizer(store, req, param(req, 'id'));
      const body = await readOptionalJsonBody(req);
      await respondIdempotently(context, req, res, { credentialHash: tokenHash, body }, {
        async write(intent) {
          if (body !== null) parseInput(drawSchema, parseJson(body));
          const queued = await store.queueReminders(exchange.id, isoNow(clock), intent);
          if (queued > 0) context.onMessagesQueued?.();
          return queued;
        },
        render: (queued: number) => ({ status: 202, body: { queued } }),
      });
    },
  };
}
