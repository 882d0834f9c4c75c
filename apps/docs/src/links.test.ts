import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { docFiles, repoRoot } from './files';
import { parseDoc, type ParsedDoc } from './markdown';

const parsed = new Map<string, ParsedDoc>();
function parse(path: string): ParsedDoc {
  let doc = parsed.get(path);
  if (!doc) {
    doc = parseDoc(readFileSync(path, 'utf8'));
    parsed.set(path, doc);
  }
  return doc;
}

it('every relative link and #anchor in the docs, the README and the stages\' READMEs resolves inside the repository', () => {
  const broken: string[] = [];
  const files = docFiles();
  for (const file of files) {
    const path = join(repoRoot, file);
    for (const link of parse(path).links) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.url)) continue; // https:, mailto:
      const [target = '', anchor] = link.url.split('#');
      const targetPath = target === '' ? path : resolve(dirname(path), decodeURIComponent(target));
      const where = `${file}:${link.line} ${link.url}`;
      if (relative(repoRoot, targetPath).startsWith('..')) {
        broken.push(`${where}: leaves the repository`);
      } else if (!existsSync(targetPath)) {
        broken.push(`${where}: no such file`);
      } else if (anchor !== undefined && anchor !== '') {
        if (!statSync(targetPath).isFile() || !targetPath.endsWith('.md')) broken.push(`${where}: an anchor into something that is not Markdown`);
        else if (!parse(targetPath).anchors.has(anchor)) broken.push(`${where}: no heading with that anchor`);
      }
    }
  }
  expect(files.length).toBeGreaterThan(5);
  expect(broken).toEqual([]);
});
