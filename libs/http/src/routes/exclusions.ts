import { exclusionsSchema, parseInput, type Exclusion } from '@santa/domain';
import { authorizeOrganizer } from '../auth';
import { parseJson, readBody } from '../body';
import { param, type Handler, type RouteContext } from '../context';
import { sendJson } from '../respond';

const pairs = (exclusions: Exclusion[]) => exclusions.map(({ giverId, receiverId }) => ({ giverId, receiverId }));

export function exclusionRoutes({ store }: RouteContext): Record<'list' | 'replace', Handler> {
  return {
    /** GET /api/v1/exchanges/:id/exclusions */
    async list(req, res) {
      const { exchange } = await authorizeOrganizer(store, req, param(req, 'id'));
      sendJson(res, 200, { exclusions: pairs(await store.listExclusions(exchange.id)) });
    },

    /** PUT /api/v1/exchanges/:id/exclusions: replaces the whole set (idempotent by nature). */
    async replace(req, res) {
      const { exchange } = await authorizeOrganizer(store, req, param(req, 'id'));
      const { exclusions } = parseInput(exclusionsSchema, parseJson(await readBody(req, 'json')));
      sendJson(res, 200, { exclusions: pairs(await store.replaceExclusions(exchange.id, exclusions)) });
    },
  };
}
