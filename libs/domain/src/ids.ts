import { v7 as uuidv7, validate as uuidValidate } from 'uuid';

/** UUIDv7: random enough to be unguessable in practice and ordered by creation time. */
export function newId(): string {
  return uuidv7();
}

export function isId(value: string): boolean {
  return uuidValidate(value);
}

/** ISO 8601 UTC with milliseconds, the one timestamp format the project stores. */
export function isoNow(clock: () => number = Date.now): string {
  return new Date(clock()).toISOString();
}
