import { DomainError } from '../errors';
import type { DrawParticipant } from '../port';
import type { BlockingGroup } from './matching';

/** Who blocks a draw, by participant id, for clients that want to point at them. */
export interface BlockingParticipants {
  /**
   * `givers`: `participantIds` can only give to `counterpartIds` between them, and
   * there are fewer of those. `receivers`: only `counterpartIds` can give to
   * `participantIds`, and there are fewer of those.
   */
  side: 'givers' | 'receivers';
  participantIds: string[];
  counterpartIds: string[];
}

/**
 * `infeasible_draw` with the group that makes every assignment impossible: named in
 * `detail`, listed by id in `blocking`, and one entry per member in `errors` (path
 * `/participants/<id>`) so that a client can highlight them.
 */
export class InfeasibleDrawError extends DomainError {
  constructor(readonly blocking: BlockingParticipants, detail: string) {
    super(
      'infeasible_draw',
      detail,
      blocking.participantIds.map((id) => ({ path: `/participants/${id}`, message: 'Part of the group that blocks the draw.' })),
    );
  }
}

const NAMES_SHOWN = 5;

/** "Ann", "Ann and Bob", "Ann, Bob and Cy", "Ann, Bob, Cy, Dee, Eve and 3 others". */
export function listNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  if (names.length <= NAMES_SHOWN) return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const others = names.length - NAMES_SHOWN;
  return `${names.slice(0, NAMES_SHOWN).join(', ')} and ${others} ${others === 1 ? 'other' : 'others'}`;
}

function people(count: number): string {
  return count === 1 ? '1 person' : `${count} people`;
}

const HINT = 'Remove some exclusions to make a draw possible.';

export function infeasibleDrawError(participants: DrawParticipant[], group: BlockingGroup): InfeasibleDrawError {
  const members = group.members.map((i) => participants[i]);
  const counterparts = group.counterparts.map((i) => participants[i]);
  const memberNames = listNames(members.map((p) => p.name));
  const counterpartNames = listNames(counterparts.map((p) => p.name));
  let sentence: string;
  if (group.side === 'givers') {
    if (counterparts.length === 0) sentence = `${memberNames} cannot give to anybody.`;
    else if (counterparts.length === 1) sentence = `${memberNames} can only give to ${counterpartNames}.`;
    else sentence = `${memberNames} can only give to ${people(counterparts.length)} between them: ${counterpartNames}.`;
  } else {
    if (counterparts.length === 0) sentence = `Nobody can give to ${memberNames}.`;
    else if (counterparts.length === 1) sentence = `Only ${counterpartNames} can give to ${memberNames}.`;
    else sentence = `Only ${people(counterparts.length)} can give to ${memberNames}: ${counterpartNames}.`;
  }
  return new InfeasibleDrawError(
    {
      side: group.side,
      participantIds: members.map((p) => p.id),
      counterpartIds: counterparts.map((p) => p.id),
    },
    `${sentence} ${HINT}`,
  );
}

export function singleCycleNotFoundError(result: { exhausted: boolean; steps: number }): DomainError {
  const why = result.exhausted
    ? 'No single cycle through everybody exists with these exclusions, although a draw without the single-cycle rule does.'
    : `No single cycle through everybody was found: the search for one is bounded and gave up after ${result.steps} ${result.steps === 1 ? 'step' : 'steps'}.`;
  return new DomainError(
    'single_cycle_not_found',
    `${why} Remove some exclusions or turn off the single-cycle rule.`,
  );
}
