import type { DatasetTokens } from '@santa/dataset';

/** Exchanges the smoke data holds; the first is drawn, the others stay open for joins. */
const SMOKE_EXCHANGES = 2;
const SMOKE_PARTICIPANTS_PER_EXCHANGE = 10;

/**
 * A small dataset made through the HTTP API of a running stage, so that a smoke test
 * needs nothing but the stage: 2 exchanges of 10 participants, the first one drawn.
 * `seed` is 0: nothing here is seeded, the tokens come from the stage.
 */
export async function createSmokeTokens(baseUrl: string): Promise<DatasetTokens> {
  assertLoopback(baseUrl);
  const tokens: DatasetTokens = { seed: 0, participants: 0, exchanges: [], participantTokens: [] };
  for (let exchangeIndex = 0; exchangeIndex < SMOKE_EXCHANGES; exchangeIndex += 1) {
    const created = await post<{ exchange: { id: string }; organizerToken: string; inviteCode: string }>(
      baseUrl,
      '/exchanges',
      undefined,
      { name: `Smoke exchange ${exchangeIndex + 1}`, budget: { amount: 20, currency: 'EUR' } },
      201,
    );
    const { id } = created.exchange;
    for (let index = 0; index < SMOKE_PARTICIPANTS_PER_EXCHANGE; index += 1) {
      const person = { name: `Person ${exchangeIndex + 1}.${index + 1}`, email: `person-${exchangeIndex + 1}-${index + 1}@example.test`, wishlist: index % 2 === 0 ? 'Books' : '' };
      const added = await post<{ participantToken: string }>(baseUrl, `/exchanges/${id}/participants`, created.organizerToken, person, 201);
      tokens.participantTokens.push(added.participantToken);
    }
    const drawn = exchangeIndex === 0;
    if (drawn) await post(baseUrl, `/exchanges/${id}/draw`, created.organizerToken, {}, 200);
    tokens.exchanges.push({ id, organizerToken: created.organizerToken, inviteCode: created.inviteCode, drawn });
  }
  tokens.participants = tokens.participantTokens.length;
  return tokens;
}

async function post<T>(baseUrl: string, path: string, token: string | undefined, body: unknown, expected: number): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (response.status !== expected) throw new Error(`POST ${path} answered ${response.status}, expected ${expected}: ${text}`);
  return JSON.parse(text) as T;
}

/** The same rule as the scenarios' (scenarios/lib/config.ts): load and test data go to loopback only. */
export function assertLoopback(baseUrl: string): void {
  const { protocol, hostname, pathname, search } = new URL(baseUrl);
  const loopback = hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
  if (protocol !== 'http:' || !loopback || (pathname !== '/' && pathname !== '') || search !== '') {
    throw new Error(`the base URL must be http://<loopback address>[:port], 127.0.0.0/8 or [::1]; refusing "${baseUrl}"`);
  }
}
