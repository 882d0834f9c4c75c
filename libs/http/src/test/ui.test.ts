import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UI_DIR, UI_PAGES } from '../ui';
import { startHarness, type Harness } from './harness';

// The UI's own pages and files; the API beside them is tested, unchanged, by every other file here.
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness.close());

const PAGE_URLS = ['/', '/organize/01900000-0000-7000-8000-000000000000', '/join/01900000-0000-7000-8000-000000000000', '/me'];
const ASSETS = ['/ui/lib.js', '/ui/organize.js', '/ui/app.css', '/ui/icon.svg'];

describe('the UI', () => {
  it('serves every page as HTML with a strict policy, no referrer and no sniffing', async () => {
    expect(PAGE_URLS).toHaveLength(Object.keys(UI_PAGES).length);
    for (const path of PAGE_URLS) {
      const response = await fetch(harness.url + path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe('text/html; charset=utf-8');
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(policy).toContain("script-src 'self'");
      expect(policy).toContain("default-src 'none'");
      expect(policy).not.toContain('unsafe-inline');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await response.text()).toMatch(/^<!doctype html>/);
    }
  });

  it('serves scripts, styles and the icon with their media types', async () => {
    const types = ['text/javascript; charset=utf-8', 'text/javascript; charset=utf-8', 'text/css; charset=utf-8', 'image/svg+xml'];
    for (const [index, path] of ASSETS.entries()) {
      const response = await fetch(harness.url + path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe(types[index]);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('lets browsers cache every file and revalidate it with its ETag', async () => {
    for (const path of ['/', ...ASSETS]) {
      const first = await fetch(harness.url + path);
      const etag = first.headers.get('etag');
      expect(etag, path).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
      expect(first.headers.get('cache-control')).toBe('no-cache');
      // As a browser revalidates on reload (fetch would add `Cache-Control: no-cache` itself).
      const again = await fetch(harness.url + path, { headers: { 'if-none-match': etag ?? '', 'cache-control': 'max-age=0' } });
      expect(again.status, path).toBe(304);
      expect(await again.text()).toBe('');
      const changed = await fetch(harness.url + path, { headers: { 'if-none-match': '"something-else"' } });
      expect(changed.status, path).toBe(200);
    }
  });

  it('answers HEAD without a body, other methods with 405, unknown files with the 404 problem', async () => {
    const head = await fetch(`${harness.url}/me`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    const post = await fetch(`${harness.url}/me`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(post.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    for (const path of ['/ui/nothing.js', '/ui/create.html', '/ui/..%2Fpackage.json', '/organize', '/join/x/y']) {
      const response = await fetch(harness.url + path);
      expect(response.status, path).toBe(404);
      expect((await response.json()) as unknown, path).toMatchObject({ code: 'not_found' });
    }
  });

  it('logs the page route, never a fragment (browsers do not send one)', async () => {
    await fetch(`${harness.url}/join/01900000-0000-7000-8000-000000000000`);
    const line = harness.logs.findLast((entry) => entry.route === '/join/:id');
    expect(line).toMatchObject({ method: 'GET', status: 200, path: '/join/01900000-0000-7000-8000-000000000000' });
  });
});

describe('the UI files', () => {
  const files = readdirSync(UI_DIR);
  const text = (name: string) => readFileSync(join(UI_DIR, name), 'utf8');

  it('hold no inline script, inline handler or inline style, which the policy would block', () => {
    for (const name of files.filter((file) => file.endsWith('.html'))) {
      const html = text(name);
      for (const script of html.match(/<script\b[^>]*>/g) ?? []) expect(script, name).toMatch(/\bsrc="\/ui\/[a-z-]+\.js"/);
      expect(html, name).not.toMatch(/\son[a-z]+=/i);
      expect(html, name).not.toMatch(/\sstyle=/i);
      expect(html, name).toMatch(/<html lang="en">/);
      expect(html, name).toMatch(/<meta name="viewport"/);
    }
  });

  it('build the page from data as text only', () => {
    for (const name of files.filter((file) => file.endsWith('.js'))) {
      expect(text(name), name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
  });
});
