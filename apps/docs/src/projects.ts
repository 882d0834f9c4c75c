import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The file that says what each kind of project may depend on; ESLint enforces it. */
export const BOUNDARIES_FILE = 'eslint.boundaries.json';

export interface Boundary {
  sourceTag: string;
  onlyDependOnLibsWithTags: string[];
  why: string;
}

export interface Project {
  name: string;
  path: string;
  tags: string[];
}

export function readBoundaries(root: string): Boundary[] {
  const { depConstraints } = JSON.parse(readFileSync(join(root, BOUNDARIES_FILE), 'utf8')) as { depConstraints: Boundary[] };
  return depConstraints;
}

/** Every project of the workspace with its tags, from the package.json files under libs, stages, apps and infra. */
export function readProjects(root: string): Project[] {
  return ['libs', 'stages', 'apps', 'infra'].flatMap((dir) =>
    readdirSync(join(root, dir))
      .sort()
      .map((entry) => `${dir}/${entry}`)
      .filter((path) => existsSync(join(root, path, 'package.json')))
      .map((path) => {
        const manifest = JSON.parse(readFileSync(join(root, path, 'package.json'), 'utf8')) as { name: string; nx?: { tags?: string[] } };
        return { name: manifest.name, path, tags: manifest.nx?.tags ?? [] };
      }),
  );
}

const kind = (tag: string): string => tag.replace(/^type:/, '');

/** The rules as a table: each kind of project, what it may import, why, and which projects are of that kind. */
export function renderBoundaryTable(root: string, linkPrefix: string): string {
  const projects = readProjects(root);
  const rows = readBoundaries(root).map((rule) => {
    const members = projects.filter((project) => project.tags.includes(rule.sourceTag)).map((project) => `[${project.path}](${linkPrefix}${project.path})`);
    const others = rule.onlyDependOnLibsWithTags.filter((tag) => tag !== rule.sourceTag).map((tag) => `\`${tag}\``);
    return `| \`${rule.sourceTag}\` | ${others.length === 0 ? 'nothing else' : others.join(', ')} | ${rule.why} | ${members.join(', ') || '–'} |`;
  });
  return ['| kind (tag) | may import | why | projects |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** The rules as a Mermaid graph: an arrow from each kind to every kind it may import. */
export function renderBoundaryGraph(root: string): string {
  const rules = readBoundaries(root);
  const id = (tag: string): string => kind(tag).replace(/[^a-z0-9]/gi, '_');
  const lines = ['flowchart BT'];
  for (const rule of rules) lines.push(`  ${id(rule.sourceTag)}["${rule.sourceTag}"]`);
  for (const rule of rules) {
    for (const tag of rule.onlyDependOnLibsWithTags.filter((one) => one !== rule.sourceTag)) lines.push(`  ${id(rule.sourceTag)} --> ${id(tag)}`);
  }
  return ['```mermaid', ...lines, '```'].join('\n');
}
