import { expect, it } from 'vitest';
import { repoRoot } from './files';
import { renderInterface } from './port-doc';
import { readBoundaries, readProjects } from './projects';

it('every project carries exactly one kind that has a dependency rule, so the rules table names every project', () => {
  const kinds = new Set(readBoundaries(repoRoot).map((rule) => rule.sourceTag));
  const projects = readProjects(repoRoot);
  expect(projects.length).toBeGreaterThan(10);
  const unruled = projects.filter((project) => project.tags.filter((tag) => kinds.has(tag)).length !== 1).map((project) => `${project.path}: ${project.tags.join(', ')}`);
  expect(unruled).toEqual([]);
});

it('renders an interface from its source with each member\'s comment, and refuses one the file does not declare', () => {
  const port = renderInterface(repoRoot, 'libs/domain/src/port.ts', 'ExchangeStore');
  expect(port).toMatch(/\| `getMeView` \| .*GET \/me/);
  expect(() => renderInterface(repoRoot, 'libs/domain/src/port.ts', 'NoSuchPort')).toThrow(/declares no interface NoSuchPort/);
});
