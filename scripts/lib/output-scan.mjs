// Finds the output variables a task's code sets, so the build can check task.json declares them.
// Convention (shared/src/pipeline/outputs.ts): outputs go through `setOutput('Name', value, declared)` or a setter
// from `outputWriter(['Name', ...])` / `outputWriter(OUTPUT_NAMES)` where OUTPUT_NAMES is an array literal declared
// in the task's sources. Literal names are checked; a computed one (e.g. `Metric_${key}`, allowed by outputWriter's
// `dynamicPrefixes` option) cannot be and is not.
import fs from 'node:fs';
import path from 'node:path';
import { rel } from './paths.mjs';

const STRING = /'([^'\\]+)'|"([^"\\]+)"|`([^`$\\]+)`/g;
const SET_OUTPUT_LITERAL = /\bsetOutput\(\s*(?:'([^'\\]+)'|"([^"\\]+)"|`([^`$\\]+)`)\s*,/g;
// The declared names are the first argument; a second one (options such as dynamicPrefixes) may follow.
const OUTPUT_WRITER = /\boutputWriter(?:<[^>]*>)?\(\s*(?:\[([^\]]*)\]|([A-Za-z_$][\w$]*))\s*[,)]/g;

/** @returns {{ name: string, where: string }[]} where = "tasks/X/src/run.ts:42" */
export function findOutputsSetInCode(srcDir) {
  const files = listSourceFiles(srcDir).map((file) => ({ file, text: fs.readFileSync(file, 'utf8') }));
  const found = [];
  const at = (file, text, index) => `${rel(file)}:${text.slice(0, index).split('\n').length}`;
  for (const { file, text } of files) {
    for (const match of text.matchAll(SET_OUTPUT_LITERAL)) {
      found.push({ name: match[1] ?? match[2] ?? match[3], where: at(file, text, match.index) });
    }
    for (const match of text.matchAll(OUTPUT_WRITER)) {
      const list = match[1] ?? arrayLiteralNamed(match[2], files);
      for (const name of stringsIn(list ?? '')) found.push({ name, where: at(file, text, match.index) });
    }
  }
  return found;
}

/** The body of `const NAME = [ ... ]` (optionally typed, `as const`) in any of the files. */
function arrayLiteralNamed(identifier, files) {
  const declaration = new RegExp(`\\b(?:const|let|var)\\s+${identifier.replace(/\$/g, '\\$')}\\b[^=]*=\\s*\\[([^\\]]*)\\]`);
  for (const { text } of files) {
    const match = declaration.exec(text);
    if (match) return match[1];
  }
  return undefined;
}

function stringsIn(text) {
  return [...text.matchAll(STRING)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function listSourceFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  const files = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listSourceFiles(full));
    else if (/\.(ts|mts|cts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(full);
  }
  return files.sort();
}
