import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** A node's JSDoc comment, as written. */
function docText(node: ts.Node): string {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return docs
    .map((doc) => ts.getTextOfJSDocComment(doc.comment) ?? '')
    .join('\n')
    .trim();
}

/** The same on one line, for a table cell. */
const cell = (text: string): string => text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');

/**
 * An interface of the source, as the code documents it: its own comment, then each
 * method with its comment. The docs show the port from its source, so they cannot drift.
 */
export function renderInterface(root: string, file: string, name: string): string {
  const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found = source.statements.find((statement): statement is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(statement) && statement.name.text === name);
  if (!found) throw new Error(`${file} declares no interface ${name}`);
  const rows = found.members.map((member) => {
    const memberName = member.name && ts.isIdentifier(member.name) ? member.name.text : member.getText(source);
    return `| \`${memberName}\` | ${cell(docText(member)) || '–'} |`;
  });
  const intro = docText(found);
  return [intro === '' ? '' : `${intro}\n`, '| method | what it promises |', '| --- | --- |', ...rows].join('\n').trim();
}
