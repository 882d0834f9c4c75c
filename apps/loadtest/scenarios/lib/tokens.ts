import { SharedArray } from 'k6/data';

/** One exchange of the token file: what an organizer and a joining guest hold. */
export interface ExchangeTokens {
  id: string;
  organizerToken: string;
  inviteCode: string;
  drawn: boolean;
}

/** The token file (DatasetTokens JSON) that the dataset generator writes for k6. */
interface TokensFile {
  exchanges: ExchangeTokens[];
  participantTokens: string[];
}

export interface Tokens {
  participantTokens: readonly string[];
  exchanges: readonly ExchangeTokens[];
  /** Exchanges not drawn yet: the only ones a guest can still join. */
  openExchanges: readonly ExchangeTokens[];
}

/**
 * Loads the token file once for the whole run: a SharedArray is built by the first VU
 * and read by every other one without a copy, so a million tokens cost their memory
 * once, not once per VU. Must be called in the init context.
 */
export function loadTokens(path: string | undefined, workingDir: string | undefined = __ENV.PWD): Tokens {
  if (path === undefined) throw new Error('TOKENS_FILE is not set: point it at the DatasetTokens JSON of the data the stage holds.');
  // open() resolves a relative path against the entry script, not the working directory.
  const absolute = path.startsWith('/') || workingDir === undefined ? path : `${workingDir.replace(/\/$/, '')}/${path}`;
  let parsed: TokensFile | undefined;
  const file = (): TokensFile => {
    if (parsed === undefined) parsed = parseTokensFile(open(absolute), absolute);
    return parsed;
  };
  return {
    participantTokens: new SharedArray('participant tokens', () => file().participantTokens),
    exchanges: new SharedArray('exchanges', () => file().exchanges),
    openExchanges: new SharedArray('open exchanges', () => file().exchanges.filter((exchange) => !exchange.drawn)),
  };
}

function parseTokensFile(json: string, path: string): TokensFile {
  const file = JSON.parse(json) as Partial<TokensFile>;
  if (!Array.isArray(file.participantTokens) || !Array.isArray(file.exchanges)) {
    throw new Error(`${path} is not a DatasetTokens file: it needs "participantTokens" and "exchanges" arrays.`);
  }
  return { participantTokens: file.participantTokens, exchanges: file.exchanges };
}

/** A uniformly random element; every VU draws independently. */
export function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}
