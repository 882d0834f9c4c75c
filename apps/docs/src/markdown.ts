import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';
import { visit } from 'unist-util-visit';

export interface CodeBlock {
  lang: string | null;
  value: string;
  line: number;
}

export interface Link {
  url: string;
  line: number;
}

export interface ParsedDoc {
  code: CodeBlock[];
  links: Link[];
  /** The anchors GitHub gives the headings, `#` not included. */
  anchors: Set<string>;
}

interface TextNode {
  type: string;
  value?: string;
  children?: TextNode[];
}

function plainText(node: TextNode): string {
  if (typeof node.value === 'string' && node.type !== 'html') return node.value;
  return (node.children ?? []).map(plainText).join('');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, repeats numbered. */
export function githubSlug(text: string, seen: Map<string, number>): string {
  const base = text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
  const count = seen.get(base) ?? 0;
  seen.set(base, count + 1);
  return count === 0 ? base : `${base}-${count}`;
}

export function parseDoc(markdown: string): ParsedDoc {
  const tree = fromMarkdown(markdown, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
  const code: CodeBlock[] = [];
  const links: Link[] = [];
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  visit(tree, (node) => {
    const line = node.position?.start.line ?? 0;
    if (node.type === 'code') code.push({ lang: node.lang ?? null, value: node.value, line });
    if (node.type === 'link' || node.type === 'image' || node.type === 'definition') links.push({ url: node.url, line });
    if (node.type === 'heading') anchors.add(githubSlug(plainText(node as TextNode), seen));
  });
  // Explicit anchors: <a id="..."> or name="...".
  for (const match of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1] as string);
  return { code, links, anchors };
}

const SHELL = new Set(['sh', 'bash', 'shell', 'console']);

/** The commands of a doc's shell blocks: one per line, comments and blank lines left out, continuations joined. */
export function shellCommands(doc: ParsedDoc): Array<{ command: string; line: number }> {
  return doc.code
    .filter((block) => block.lang !== null && SHELL.has(block.lang))
    .flatMap((block) =>
      block.value
        .replace(/\\\n\s*/g, '')
        .split('\n')
        .map((text, index) => ({ command: text.replace(/\s+#\s.*$/, '').trim(), line: block.line + 1 + index }))
        .filter(({ command }) => command !== '' && !command.startsWith('#')),
    );
}
