import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The contract in machine-readable form: `libs/http/openapi.yaml`. */
export const OPENAPI_PATH = fileURLToPath(new URL('../openapi.yaml', import.meta.url));

let document: Record<string, unknown> | undefined;

/** The parsed document, read once per process. Callers must not mutate it. */
export function openApiDocument(): Record<string, unknown> {
  document ??= parse(readFileSync(OPENAPI_PATH, 'utf8')) as Record<string, unknown>;
  return document;
}
