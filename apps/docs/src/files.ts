import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

function markdownUnder(root: string, dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return markdownUnder(root, path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** The Markdown files that are the docs: docs/**, the root README and the stages' READMEs (relative to the root). */
export function docFiles(root = repoRoot): string[] {
  const stages = readdirSync(join(root, 'stages'))
    .map((stage) => `stages/${stage}/README.md`)
    .filter((path) => {
      try {
        return statSync(join(root, path)).isFile();
      } catch {
        return false;
      }
    });
  return ['README.md', ...markdownUnder(root, 'docs').sort(), ...stages.sort()];
}
