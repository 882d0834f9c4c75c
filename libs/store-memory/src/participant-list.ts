import type { ParticipantCursor, ParticipantRecord } from '@santa/domain';

/** Orders participants by (joinedAt, id), the order every listing uses. */
function compare(a: ParticipantCursor, b: ParticipantCursor): number {
  if (a.joinedAt !== b.joinedAt) return a.joinedAt < b.joinedAt ? -1 : 1;
  if (a.id !== b.id) return a.id < b.id ? -1 : 1;
  return 0;
}

/**
 * The participants of one exchange, kept sorted by (joinedAt, id) and indexed by id.
 * New participants almost always sort last (they join now, with a time-ordered id),
 * so an insert is usually an append; a page is a binary search and a slice.
 */
export class ParticipantList {
  readonly #sorted: ParticipantRecord[] = [];
  readonly #byId = new Map<string, ParticipantRecord>();

  get(id: string): ParticipantRecord | undefined {
    return this.#byId.get(id);
  }

  all(): readonly ParticipantRecord[] {
    return this.#sorted;
  }

  insert(participant: ParticipantRecord): void {
    const last = this.#sorted.at(-1);
    if (last === undefined || compare(last, participant) < 0) this.#sorted.push(participant);
    else this.#sorted.splice(this.#firstAfter(participant), 0, participant);
    this.#byId.set(participant.id, participant);
  }

  remove(participant: ParticipantRecord): void {
    const index = this.#firstAfter(participant) - 1;
    if (this.#sorted[index] !== participant) throw new Error(`Participant ${participant.id} is not in this list.`);
    this.#sorted.splice(index, 1);
    this.#byId.delete(participant.id);
  }

  /** At most `limit` participants after the cursor (all from the start without one). */
  page(limit: number, after?: ParticipantCursor): ParticipantRecord[] {
    const start = after ? this.#firstAfter(after) : 0;
    return this.#sorted.slice(start, start + Math.max(0, limit));
  }

  /** Index of the first participant that sorts strictly after `cursor`. */
  #firstAfter(cursor: ParticipantCursor): number {
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(this.#sorted[middle], cursor) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
