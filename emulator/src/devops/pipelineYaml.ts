/**
 * The pipeline YAML as a small tree of maps, sequences and scalars that remember their line, so that every error of
 * the local pipeline runner names the construct and the line it is on. Anchors and aliases are refused (Azure
 * Pipelines refuses them too), as are duplicate keys and multi-document files.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node } from 'yaml';

export type YamlScalarValue = string | number | boolean | null;

export interface YamlScalarNode {
  readonly kind: 'scalar';
  readonly value: YamlScalarValue;
  readonly line: number;
}

export interface YamlEntry {
  readonly key: string;
  readonly keyLine: number;
  readonly value: YamlNode;
}

export interface YamlMapNode {
  readonly kind: 'map';
  readonly entries: readonly YamlEntry[];
  readonly line: number;
}

export interface YamlSeqNode {
  readonly kind: 'seq';
  readonly items: readonly YamlNode[];
  readonly line: number;
}

export type YamlNode = YamlScalarNode | YamlMapNode | YamlSeqNode;

/** The one error of a pipeline the local runner cannot run: what, where (file and line) and, when useful, how to fix. */
export class PipelineDefinitionError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'PipelineDefinitionError';
  }
}

/** Raises errors about one file. */
export class PipelineErrors {
  constructor(readonly file: string) {}

  /** `problem` already names the construct and its line. */
  at(line: number | undefined, problem: string): PipelineDefinitionError {
    return new PipelineDefinitionError(this.file, line, problem);
  }

  /** "`resources` (line 3) is not supported by the local pipeline runner". */
  unsupported(construct: string, line: number, detail = ''): PipelineDefinitionError {
    return this.at(line, `\`${construct}\` (line ${line}) is not supported by the local pipeline runner${detail ? `: ${detail}` : ''}.`);
  }
}

export function parsePipelineYaml(text: string, errors: PipelineErrors): YamlMapNode {
  const lineCounter = new LineCounter();
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  // Failsafe schema: every scalar is a string, as Azure Pipelines reads YAML (`1.10` stays '1.10', `true` is 'true').
  const documents = parseAllDocuments(source, { lineCounter, uniqueKeys: true, prettyErrors: true, schema: 'failsafe' });
  if (documents.length === 0) throw errors.at(undefined, 'the file is empty: a pipeline needs at least `stages`, `jobs` or `steps`.');
  if (documents.length > 1) {
    const second = documents[1]!;
    throw errors.at(lineOf(lineCounter, second.range?.[0]), 'the file holds several YAML documents (`---`); a pipeline is one document.');
  }
  const document = documents[0]!;
  const problem = document.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line;
    throw errors.at(line, `the YAML is not valid${line ? ` (line ${line})` : ''}: ${problem.message.split('\n')[0]!.replace(/:$/, '')}.`);
  }
  const root = convert(document.contents as Node | null, lineCounter, errors, 1);
  if (root.kind !== 'map') throw errors.at(root.line, `a pipeline is a YAML mapping (\`stages:\`, \`variables:\`...), found a ${describeKind(root)}.`);
  return root;
}

function lineOf(lineCounter: LineCounter, offset: number | undefined): number {
  return offset === undefined ? 1 : lineCounter.linePos(offset).line;
}

function convert(node: Node | null | undefined, lineCounter: LineCounter, errors: PipelineErrors, fallbackLine: number): YamlNode {
  if (node === null || node === undefined) return { kind: 'scalar', value: null, line: fallbackLine };
  const line = lineOf(lineCounter, node.range?.[0]) || fallbackLine;
  if (isAlias(node)) throw errors.at(line, `the YAML alias \`*${node.source}\` (line ${line}) cannot be used: Azure Pipelines does not support anchors and aliases.`);
  if ((node as { anchor?: string }).anchor) {
    throw errors.at(line, `the YAML anchor \`&${(node as { anchor?: string }).anchor}\` (line ${line}) cannot be used: Azure Pipelines does not support anchors and aliases.`);
  }
  if (isScalar(node)) {
    const value = node.value;
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return { kind: 'scalar', value, line };
    }
    throw errors.at(line, `the value on line ${line} is of a YAML type Azure Pipelines does not read (${typeof value}); quote it.`);
  }
  if (isSeq(node)) {
    return { kind: 'seq', items: node.items.map((item) => convert(item as Node, lineCounter, errors, line)), line };
  }
  if (isMap(node)) {
    const entries: YamlEntry[] = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const keyLine = keyNode ? lineOf(lineCounter, keyNode.range?.[0]) : line;
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        throw errors.at(keyLine, `the key on line ${keyLine} is not a plain name.`);
      }
      entries.push({ key: String(keyNode.value), keyLine, value: convert(pair.value as Node | null, lineCounter, errors, keyLine) });
    }
    return { kind: 'map', entries, line };
  }
  throw errors.at(line, `unexpected YAML on line ${line}.`);
}

export function describeKind(node: YamlNode): string {
  if (node.kind === 'map') return 'mapping';
  if (node.kind === 'seq') return 'list';
  return node.value === null ? 'empty value' : `${typeof node.value} '${String(node.value)}'`;
}

export function entryOf(map: YamlMapNode, key: string): YamlEntry | undefined {
  return map.entries.find((entry) => entry.key === key);
}
