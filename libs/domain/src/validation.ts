import { z } from 'zod';
import { DomainError, type FieldError } from './errors';
import { LIMITS, type ParticipantCursor } from './model';

/**
 * The shapes every request body and query of the HTTP contract must have. Objects are
 * strict (an unknown field is an error, so a typo never silently does nothing), text
 * is trimmed and otherwise kept as given, and every schema is built once at import.
 *
 * Text rules (the OpenAPI document states them too):
 * - lengths count Unicode code points, so an emoji is one character, as a reader
 *   and a database `varchar(n)` count it;
 * - control characters are rejected: they are invisible, break CSV exports and
 *   terminals, and nobody types them on purpose; a wishlist may contain line breaks
 *   and tabs (LF, CR, TAB), a name or an e-mail address none;
 * - strings must be well-formed UTF-16 (no lone surrogate), so every store can
 *   encode them as UTF-8.
 */

/** Unicode category Cc: U+0000-U+001F and U+007F-U+009F. */
const CONTROL_CHARACTERS = /\p{Cc}/u;
const CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS_AND_TABS = /(?![\t\n\r])\p{Cc}/u;

/** Code points, not UTF-16 code units. */
export function textLength(value: string): number {
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A low surrogate completes the pair its high surrogate already counted.
    if (unit < 0xdc00 || unit > 0xdfff) length++;
  }
  return length;
}

interface TextRules {
  /** What the field is, for messages: "name", "wishlist". */
  label: string;
  min: number;
  max: number;
  multiline: boolean;
}

/** A type error that tells a missing field from one of the wrong type. */
function typeError(label: string, expected: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `The ${label} is required.` : `The ${label} must be ${expected}.`;
}

function text({ label, min, max, multiline }: TextRules) {
  const forbidden = multiline ? CONTROL_CHARACTERS_EXCEPT_LINE_BREAKS_AND_TABS : CONTROL_CHARACTERS;
  return z
    .string({ error: typeError(label, 'a string') })
    .trim()
    .superRefine((value, ctx) => {
      if (!value.isWellFormed()) {
        ctx.addIssue({ code: 'custom', message: `The ${label} contains an unpaired surrogate (not valid Unicode).` });
      } else if (forbidden.test(value)) {
        ctx.addIssue({
          code: 'custom',
          message: multiline
            ? `The ${label} contains a control character (only line breaks and tabs are allowed).`
            : `The ${label} contains a control character.`,
        });
      } else {
        const length = textLength(value);
        if (length < min) {
          ctx.addIssue({ code: 'custom', message: `The ${label} must not be empty.` });
        } else if (length > max) {
          ctx.addIssue({ code: 'custom', message: `The ${label} must be at most ${max} characters (it has ${length}).` });
        }
      }
    });
}

const exchangeName = text({ label: 'name', min: 1, max: LIMITS.exchangeName, multiline: false });
const participantName = text({ label: 'name', min: 1, max: LIMITS.participantName, multiline: false });
const wishlist = text({ label: 'wishlist', min: 0, max: LIMITS.wishlist, multiline: true });

/**
 * The practical address syntax mail providers accept (zod's default: an ASCII local
 * part and a domain with a top-level domain), at most 254 characters (RFC 5321).
 */
const email = z
  .string({ error: typeError('e-mail address', 'a string') })
  .trim()
  .max(LIMITS.email, { error: `The e-mail address must be at most ${LIMITS.email} characters.` })
  .pipe(z.email({ error: 'This is not a valid e-mail address.' }));

const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf('currency'));

export const budgetSchema = z.strictObject({
  amount: z
    .number({ error: typeError('amount', 'a number') })
    .min(0, { error: 'The amount must not be negative.' })
    .max(LIMITS.budgetAmountMax, { error: `The amount must be at most ${LIMITS.budgetAmountMax}.` })
    // `toFixed(2)` rounds to cents: the amount survives it only when it has at most two decimals.
    .refine((amount) => Number(amount.toFixed(2)) === amount, { error: 'The amount must have at most 2 decimals.' }),
  currency: z
    .string({ error: typeError('currency', 'a string') })
    .refine((code) => /^[A-Z]{3}$/.test(code) && CURRENCIES.has(code), {
      error: 'The currency must be an ISO 4217 code in upper case, such as EUR.',
    }),
});

const exchangeDate = z.iso.date({ error: 'The date must be a calendar date written YYYY-MM-DD.' });

const rules = z.strictObject({
  singleCycle: z.boolean({ error: typeError('singleCycle rule', 'true or false') }).default(false),
});

export const createExchangeSchema = z.strictObject({
  name: exchangeName,
  budget: budgetSchema.nullable().default(null),
  exchangeDate: exchangeDate.nullable().default(null),
  rules: rules.default({ singleCycle: false }),
});
export type CreateExchangeInput = z.output<typeof createExchangeSchema>;

export const addParticipantSchema = z.strictObject({
  name: participantName,
  email,
  wishlist: wishlist.default(''),
});
export type AddParticipantInput = z.output<typeof addParticipantSchema>;

export const joinSchema = z.strictObject({
  // Any string is a well-formed guess; a wrong one is answered like an unknown exchange.
  inviteCode: z
    .string({ error: typeError('invite code', 'a string') })
    .min(1, { error: 'The invite code must not be empty.' })
    .max(256, { error: 'The invite code is too long.' }),
  name: participantName,
  email,
  wishlist: wishlist.default(''),
});
export type JoinInput = z.output<typeof joinSchema>;

const participantId = z.uuid({
  error: (issue) => (issue.input === undefined ? 'The participant id is required.' : 'This is not a participant id.'),
});

/**
 * The whole set of exclusions. A repeated pair is rejected rather than collapsed:
 * the response echoes the stored set, and a client that sends a pair twice has a bug
 * worth hearing about.
 */
export const exclusionsSchema = z
  .strictObject({
    exclusions: z.array(z.strictObject({ giverId: participantId, receiverId: participantId }), {
      error: (issue) => (issue.input === undefined ? 'The exclusions are required.' : 'The exclusions must be an array.'),
    }),
  })
  .superRefine(({ exclusions }, ctx) => {
    const seen = new Map<string, number>();
    exclusions.forEach(({ giverId, receiverId }, index) => {
      if (giverId.toLowerCase() === receiverId.toLowerCase()) {
        ctx.addIssue({
          code: 'custom',
          path: ['exclusions', index, 'receiverId'],
          message: 'A participant cannot be excluded from drawing themselves: that is always excluded.',
        });
        return;
      }
      const pair = `${giverId.toLowerCase()} ${receiverId.toLowerCase()}`;
      const first = seen.get(pair);
      if (first === undefined) {
        seen.set(pair, index);
      } else {
        ctx.addIssue({ code: 'custom', path: ['exclusions', index], message: `Repeats exclusion ${first}.` });
      }
    });
  });
export type ExclusionsInput = z.output<typeof exclusionsSchema>;

export const wishlistSchema = z.strictObject({ wishlist });
export type WishlistInput = z.output<typeof wishlistSchema>;

/** The draw takes no parameters: an empty object (or no body at all). */
export const drawSchema = z.strictObject({});

const CURSOR_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Opaque to clients: base64url of `[joinedAt, id]` of the last row of a page. */
export function encodeParticipantCursor(cursor: ParticipantCursor): string {
  return Buffer.from(JSON.stringify([cursor.joinedAt, cursor.id]), 'utf8').toString('base64url');
}

/** The cursor, or null when the string is not one this API issued. */
export function decodeParticipantCursor(encoded: string): ParticipantCursor | null {
  if (encoded.length > 200 || !BASE64URL.test(encoded)) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) return null;
  const [joinedAt, id] = decoded as unknown[];
  if (typeof joinedAt !== 'string' || !CURSOR_TIMESTAMP.test(joinedAt) || Number.isNaN(Date.parse(joinedAt))) return null;
  if (typeof id !== 'string' || !participantId.safeParse(id).success) return null;
  return { joinedAt, id };
}

/**
 * Query of the participant list. Query values arrive as strings; a repeated parameter
 * arrives as an array and is rejected. Unknown parameters are rejected like unknown
 * body fields, so `?limt=5` fails loudly instead of returning 100 rows.
 */
export const listParticipantsQuerySchema = z.strictObject({
  limit: z
    .string({ error: 'limit must be given once, as an integer.' })
    .regex(/^[0-9]{1,6}$/, { error: `limit must be an integer from 1 to ${LIMITS.pageSizeMax}.` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, { error: `limit must be an integer from 1 to ${LIMITS.pageSizeMax}.` })
        .max(LIMITS.pageSizeMax, { error: `limit must be an integer from 1 to ${LIMITS.pageSizeMax}.` }),
    )
    .default(LIMITS.pageSizeDefault),
  cursor: z
    .string({ error: 'cursor must be given once.' })
    .transform((value, ctx) => {
      const cursor = decodeParticipantCursor(value);
      if (cursor === null) {
        ctx.addIssue({ code: 'custom', message: 'This is not a cursor from a previous page (nextCursor).' });
        return z.NEVER;
      }
      return cursor;
    })
    .optional(),
});
export type ListParticipantsQuery = z.output<typeof listParticipantsQuerySchema>;

/** `Idempotency-Key`: 1 to 255 visible ASCII characters. */
export function isIdempotencyKey(value: string): boolean {
  return value.length >= 1 && value.length <= LIMITS.idempotencyKeyMax && /^[\x21-\x7e]+$/.test(value);
}

/** RFC 6901: `~` and `/` inside a segment are escaped. */
export function jsonPointer(path: readonly PropertyKey[], prefix = ''): string {
  let pointer = prefix;
  for (const segment of path) {
    pointer += '/' + String(segment).replaceAll('~', '~0').replaceAll('/', '~1');
  }
  return pointer;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

function messageFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    // zod's own wording, for the few schemas without a message of their own.
    return `Must be ${TYPE_NAMES[issue.expected] ?? issue.expected}.`;
  }
  return issue.message;
}

/** The contract's `errors` list: one entry per problem, `path` a JSON Pointer under `prefix`. */
export function toFieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({ path: jsonPointer([...issue.path, key], prefix), message: 'Unknown field.' });
      }
    } else {
      errors.push({ path: jsonPointer(issue.path, prefix), message: messageFor(issue) });
    }
  }
  return errors;
}

/** The parsed value, or a `validation_failed` DomainError listing every problem. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  detail = 'The request is invalid; see errors.',
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new DomainError('validation_failed', detail, toFieldErrors(result.error));
}
