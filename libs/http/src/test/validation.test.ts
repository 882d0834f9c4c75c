import { describe, expect, it } from 'vitest';
import {
  decodeParticipantCursor,
  encodeParticipantCursor,
  isIdempotencyKey,
  jsonPointer,
  textLength,
} from '@santa/domain';

describe('request validation helpers', () => {
  it('counts code points', () => {
    expect(textLength('abc')).toBe(3);
    expect(textLength('🎄🎁')).toBe(2);
    expect(textLength('e\u0301')).toBe(2);
  });

  it('round-trips a participant cursor and refuses anything it did not issue', () => {
    const cursor = { joinedAt: '2026-12-01T10:00:00.000Z', id: '01900000-0000-7000-8000-000000000000' };
    expect(decodeParticipantCursor(encodeParticipantCursor(cursor))).toEqual(cursor);
    for (const bad of ['', 'abc', '!!!', Buffer.from('["2026-12-01T10:00:00.000Z"]').toString('base64url'),
      Buffer.from('["yesterday","01900000-0000-7000-8000-000000000000"]').toString('base64url'),
      Buffer.from('["2026-12-01T10:00:00.000Z","nobody"]').toString('base64url'), 'x'.repeat(300)]) {
      expect(decodeParticipantCursor(bad), bad).toBeNull();
    }
  });

  it('accepts 1 to 255 visible ASCII characters as an Idempotency-Key', () => {
    expect(isIdempotencyKey('a')).toBe(true);
    expect(isIdempotencyKey('~'.repeat(255))).toBe(true);
    expect(isIdempotencyKey('')).toBe(false);
    expect(isIdempotencyKey('k'.repeat(256))).toBe(false);
    expect(isIdempotencyKey('a b')).toBe(false);
    expect(isIdempotencyKey('ä')).toBe(false);
  });

  it('escapes JSON Pointer segments', () => {
    expect(jsonPointer(['a/b', 'c~d', 0])).toBe('/a~1b/c~0d/0');
    expect(jsonPointer([])).toBe('');
    expect(jsonPointer(['email'], '/12')).toBe('/12/email');
  });
});
