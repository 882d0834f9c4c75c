import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DomainError } from '@santa/domain';
import type { Handler } from './context';
import { param } from './context';

/** The browser UI: plain HTML, CSS and ES modules in `libs/http/ui`, served as they are. */
export const UI_DIR = fileURLToPath(new URL('../ui/', import.meta.url));

/**
 * What every UI response carries. Secrets live only in URL fragments, which browsers
 * never send; `no-referrer` keeps a page's address out of every request it makes,
 * and the policy allows only this origin's own scripts, styles and API.
 */
export const UI_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  // Cached, but checked against the ETag on every use: a new release shows at once.
  'Cache-Control': 'no-cache',
};

const MEDIA_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface UiFile {
  body: Buffer;
  mediaType: string;
  /** Strong, from the content: the same on every replica, whatever the files' dates. */
  etag: string;
}

/** The pages by URL; each page's secrets follow in its fragment (`#token=...`, `#code=...`). */
export const UI_PAGES: Readonly<Record<string, string>> = {
  '/': 'create.html',
  '/organize/:id': 'organize.html',
  '/join/:id': 'join.html',
  '/me': 'me.html',
};

/** Every UI file, read once: a handful of small files, served from memory. */
function loadUiFiles(dir: string): Map<string, UiFile> {
  const files = new Map<string, UiFile>();
  for (const name of readdirSync(dir)) {
    const mediaType = MEDIA_TYPES[extname(name)];
    if (mediaType === undefined) continue;
    const body = readFileSync(join(dir, name));
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(name, { body, mediaType, etag });
  }
  return files;
}

function sendUiFile(file: UiFile): Handler {
  return (req, res) => {
    res.statusCode = 200;
    for (const [name, value] of Object.entries(UI_HEADERS)) res.setHeader(name, value);
    res.setHeader('Content-Type', file.mediaType);
    res.setHeader('ETag', file.etag);
    // `req.fresh` compares If-None-Match with the ETag just set (the `fresh` package).
    if (req.fresh) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Length', file.body.length);
    res.end(file.body);
  };
}

export interface UiRoute {
  path: string;
  methods: { GET: Handler };
}

/** The routes of the UI: one per page, and `/ui/:file` for its scripts, styles and icon. */
export function uiRoutes(dir: string = UI_DIR): UiRoute[] {
  const files = loadUiFiles(dir);
  const fileNamed = (name: string): UiFile => {
    const file = files.get(name);
    if (file === undefined) throw new Error(`The UI file ${name} is missing from ${dir}.`);
    return file;
  };
  const pages = Object.entries(UI_PAGES).map(([path, name]) => ({ path, methods: { GET: sendUiFile(fileNamed(name)) } }));
  const assetHandlers = new Map([...files].filter(([name]) => !name.endsWith('.html')).map(([name, file]) => [name, sendUiFile(file)]));
  const asset: Handler = (req, res) => {
    const handler = assetHandlers.get(param(req, 'file'));
    if (handler === undefined) throw new DomainError('not_found', 'No such resource.');
    return handler(req, res);
  };
  return [...pages, { path: '/ui/:file', methods: { GET: asset } }];
}
