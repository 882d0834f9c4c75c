import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { docFiles, repoRoot } from './files';
import { parseDoc } from './markdown';

// Mermaid needs a DOM: its own bundle parses each diagram in a real headless Chromium,
// as GitHub's renderer does in a browser.
const diagrams = docFiles().flatMap((file) =>
  parseDoc(readFileSync(join(repoRoot, file), 'utf8'))
    .code.filter((block) => block.lang === 'mermaid')
    .map((block) => ({ where: `${file}:${block.line}`, text: block.value })),
);

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
});

it('every Mermaid diagram in the docs parses', async () => {
  expect(diagrams.length).toBeGreaterThan(3);
  const page = await browser.newPage();
  const bundle = createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js');
  await page.addScriptTag({ path: bundle });
  const failures = await page.evaluate(async (all) => {
    const mermaid = (globalThis as unknown as { mermaid: { initialize(config: object): void; parse(text: string): Promise<unknown> } }).mermaid;
    mermaid.initialize({ startOnLoad: false });
    const failed: string[] = [];
    for (const diagram of all) {
      try {
        await mermaid.parse(diagram.text);
      } catch (error) {
        failed.push(`${diagram.where}: ${(error as Error).message.split('\n').slice(0, 4).join(' ')}`);
      }
    }
    return failed;
  }, diagrams);
  expect(failures).toEqual([]);
});

it('a broken diagram does not parse (the check can fail)', async () => {
  const page = await browser.newPage();
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve('mermaid/dist/mermaid.min.js') });
  const outcome = await page.evaluate(async () => {
    const mermaid = (globalThis as unknown as { mermaid: { parse(text: string): Promise<unknown> } }).mermaid;
    return mermaid.parse('flowchart LR\n  a --> [b').then(
      () => 'parsed',
      () => 'rejected',
    );
  });
  expect(outcome).toBe('rejected');
});
