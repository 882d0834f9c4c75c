import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { neutraliseCell } from '../csv';
import { addParticipants, createExchange, startHarness, type Harness, type Organizer } from './harness';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const csvPath = (organizer: Organizer) => `/api/v1/exchanges/${organizer.exchangeId}/participants.csv`;
const upload = (organizer: Organizer, body: string, headers: Record<string, string> = {}) =>
  harness.call('POST', csvPath(organizer), { token: organizer.organizerToken, body, contentType: 'text/csv', headers });
const participantCount = async (organizer: Organizer) =>
  (await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}`, { token: organizer.organizerToken })).body.exchange
    .participantCount as number;

function rows(count: number, row: (index: number) => string): string {
  return ['name,email,wishlist', ...Array.from({ length: count }, (_, index) => row(index))].join('\n') + '\n';
}

describe('POST /api/v1/exchanges/:id/participants.csv', () => {
  it('imports every row, in row order, each with its token', async () => {
    const organizer = await createExchange(harness);
    const reply = await upload(
      organizer,
      '\uFEFFname,email,wishlist\r\nAnn,ann@example.com,"Socks, warm"\r\n\r\n  Bob  ,bob@example.com,"Line one\nline two"\r\nCy,cy@example.com,\r\n',
    );
    expect(reply.status).toBe(201);
    expect(reply.body.created).toBe(3);
    expect(reply.body.participants.map((entry: { participant: { name: string } }) => entry.participant.name)).toEqual(['Ann', 'Bob', 'Cy']);
    expect(reply.body.participants[1].participant.wishlist).toBe('Line one\nline two');
    const me = await harness.call('GET', '/api/v1/me', { token: reply.body.participants[2].participantToken });
    expect(me.body.participant.name).toBe('Cy');
    const list = await harness.call('GET', `/api/v1/exchanges/${organizer.exchangeId}/participants`, { token: organizer.organizerToken });
    expect(list.body.items.map((item: { name: string }) => item.name)).toEqual(['Ann', 'Bob', 'Cy']);
  });

  it('imports nothing when one row among 1,000 is bad, and names its line', async () => {
    const organizer = await createExchange(harness);
    // Row 637 is on line 638: the header is line 1.
    const body = rows(1000, (index) => (index === 636 ? `Person ${index},not-an-address,` : `Person ${index},p${index}@example.com,`));
    const reply = await upload(organizer, body);
    expect(reply.status).toBe(422);
    expect(reply.body.code).toBe('validation_failed');
    expect(reply.body.errors).toEqual([{ path: '/638/email', message: expect.any(String) }]);
    expect(await participantCount(organizer)).toBe(0);
  });

  it('lists every bad row: schema errors, field counts, duplicates in the file and in the exchange', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann']);
    const body = [
      'name,email,wishlist',
      'Bob,bob@example.com,',
      ',nameless@example.com,',
      'Cy,cy@example.com',
      '"Dan',
      'the second",dan@example.com,',
      'Eve,BOB@example.com,',
      'Fay,ann@example.com,',
    ].join('\n');
    const reply = await upload(organizer, body);
    expect(reply.status).toBe(422);
    expect(reply.body.errors).toEqual([
      { path: '/3/name', message: expect.any(String) },
      { path: '/4', message: expect.stringContaining('3 fields') },
      // A quoted field may span lines: the row is named by the line it starts on.
      { path: '/5/name', message: 'The name contains a control character.' },
      { path: '/7/email', message: 'Repeats the e-mail address on line 2.' },
      { path: '/8/email', message: expect.stringContaining('already uses') },
    ]);
    expect(await participantCount(organizer)).toBe(1);
  });

  it.each([
    ['a wrong header', 'name,mail,wishlist\nAnn,ann@example.com,\n'],
    ['a header in another order', 'email,name,wishlist\nann@example.com,Ann,\n'],
    ['an extra column', 'name,email,wishlist,age\nAnn,ann@example.com,,7\n'],
    ['an empty body', ''],
  ])('refuses %s with 422', async (_, body) => {
    const organizer = await createExchange(harness);
    const reply = await upload(organizer, body);
    expect(reply.status).toBe(422);
    expect(reply.body.errors[0].path).toBe('/1');
  });

  it('refuses a header without rows with 422', async () => {
    const organizer = await createExchange(harness);
    const reply = await upload(organizer, 'name,email,wishlist\n');
    expect(reply.status).toBe(422);
  });

  it('answers CSV that cannot be parsed with 400', async () => {
    const organizer = await createExchange(harness);
    const unclosed = await upload(organizer, 'name,email,wishlist\nAnn,ann@example.com,"socks\n');
    expect(unclosed.status).toBe(400);
    expect(unclosed.body.code).toBe('malformed_csv');
    const stray = await upload(organizer, 'name,email,wishlist\nAnn,ann@example.com,so"cks"x\n');
    expect(stray.status).toBe(400);
  });

  it('answers JSON sent to the CSV route with 415', async () => {
    const organizer = await createExchange(harness);
    const reply = await harness.call('POST', csvPath(organizer), { token: organizer.organizerToken, json: [{ name: 'Ann' }] });
    expect(reply.status).toBe(415);
  });

  it('refuses to pass 10,000 participants with 409 participant_limit', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann']);
    const reply = await upload(organizer, rows(10_000, (index) => `P${index},p${index}@example.com,`));
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('participant_limit');
    expect(await participantCount(organizer)).toBe(1);
  });

  it('refuses an import after the draw', async () => {
    const organizer = await createExchange(harness);
    await addParticipants(harness, organizer, ['Ann', 'Bob', 'Cy']);
    await harness.call('POST', `/api/v1/exchanges/${organizer.exchangeId}/draw`, { token: organizer.organizerToken });
    const reply = await upload(organizer, 'name,email,wishlist\nDan,dan@example.com,\n');
    expect(reply.status).toBe(409);
    expect(reply.body.code).toBe('already_drawn');
  });
});

describe('GET /api/v1/exchanges/:id/participants.csv', () => {
  it('exports RFC 4180 CSV with formulas neutralised, and reads back', async () => {
    const organizer = await createExchange(harness);
    const imported = await upload(
      organizer,
      [
        'name,email,wishlist',
        '"=HYPERLINK(""http://evil.example"")",ann@example.com,+1',
        '@SUM(A1),bob@example.com,-2',
        'Dan,dan@example.com,"Quotes "" and, commas\nand lines"',
      ].join('\r\n'),
    );
    expect(imported.status).toBe(201);

    const reply = await harness.call('GET', csvPath(organizer), { token: organizer.organizerToken });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(reply.headers.get('content-disposition')).toBe(`attachment; filename="participants-${organizer.exchangeId}.csv"`);
    expect(reply.text.startsWith('name,email,wishlist\r\n')).toBe(true);

    const records = parse(reply.text) as string[][];
    expect(records).toEqual([
      ['name', 'email', 'wishlist'],
      [`'=HYPERLINK("http://evil.example")`, 'ann@example.com', "'+1"],
      ["'@SUM(A1)", 'bob@example.com', "'-2"],
      ['Dan', 'dan@example.com', 'Quotes " and, commas\nand lines'],
    ]);
  });

  it('neutralises a leading tab or carriage return too (data from elsewhere can hold one)', () => {
    expect(['\tTab', '\r=1', '=1', '+1', '-1', '@a', 'plain', ' =1', ''].map(neutraliseCell)).toEqual([
      "'\tTab",
      "'\r=1",
      "'=1",
      "'+1",
      "'-1",
      "'@a",
      'plain',
      ' =1',
      '',
    ]);
  });

  it('exports just the header for an exchange without participants', async () => {
    const organizer = await createExchange(harness);
    const reply = await harness.call('GET', csvPath(organizer), { token: organizer.organizerToken });
    expect(reply.text).toBe('name,email,wishlist\r\n');
  });
});
