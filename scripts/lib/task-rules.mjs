// The project's own task.json rules (on top of the published schema). They run everywhere, with or without the
// shared schema, and each problem names the rule and the file.
import fs from 'node:fs';
import path from 'node:path';
import { problem } from './problems.mjs';
import { compareVersions } from './version.mjs';

/** The handlers every task ships: the bundle targets Node 20 and runs unchanged on Node 24. */
export const REQUIRED_HANDLERS = ['Node20_1', 'Node24'];

/**
 * First agent version that has each handler (microsoft/azure-pipelines-tasks docs/migrateNode20.md and
 * docs/migrateNode24.md: agent 3.232.1 added Node20_1, 4.265.1 added Node24). An agent older than the minimum for
 * the oldest handler a task offers cannot run the task at all, so minimumAgentVersion must be at least that.
 */
export const HANDLER_MIN_AGENT = { Node20_1: '3.232.1', Node24: '4.265.1' };

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_FRIENDLY_NAME = 40;
const MACRO = /\$\(([^)]+)\)/g;
/** visibleRule clauses look like `name = value`, `name != value`, `name contains value`, joined by && or ||. */
const VISIBLE_RULE_OPERAND = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:==|=|!=|<=|>=|<|>|\s(?:contains|notContains|doesNotContain|startsWith|endsWith|doesNotStartWith|doesNotEndWith)\s)/;

/**
 * Checks one task.json.
 * @param {any} task parsed task.json
 * @param {{ file: string, folderName: string, stagedDir?: string, outputsSetInCode?: {name:string, where:string}[],
 *           publishedIds?: Map<string,string> }} ctx
 *   file: path shown in messages; folderName: the task folder's name; stagedDir: the staged task folder (checks the
 *   handler targets exist there); outputsSetInCode: output variable names the task's code sets; publishedIds: task
 *   name -> id from docs/architecture.md (ids never change once published).
 * @returns {import('./problems.mjs').Problem[]}
 */
export function checkTaskManifest(task, ctx) {
  const problems = [];
  const report = (rule, message) => problems.push(problem(rule, ctx.file, message));

  if (typeof task !== 'object' || task === null || Array.isArray(task)) {
    report('task-json-object', 'task.json must hold a JSON object');
    return problems;
  }

  // Identity.
  if (typeof task.id !== 'string' || !GUID.test(task.id)) {
    report('id-guid', `id must be a GUID, found ${JSON.stringify(task.id)}`);
  } else if (ctx.publishedIds?.has(task.name) && ctx.publishedIds.get(task.name).toLowerCase() !== task.id.toLowerCase()) {
    report('id-unchanged', `id ${task.id} differs from the published id ${ctx.publishedIds.get(task.name)} (docs/architecture.md): a task id never changes once published`);
  }
  if (task.name !== ctx.folderName) {
    report('name-matches-folder', `name ${JSON.stringify(task.name)} must equal the folder name "${ctx.folderName}"`);
  }
  if (typeof task.friendlyName !== 'string' || task.friendlyName.trim() === '') {
    report('friendly-name', 'friendlyName is missing');
  } else if (task.friendlyName.length > MAX_FRIENDLY_NAME) {
    report('friendly-name', `friendlyName is ${task.friendlyName.length} characters; the limit is ${MAX_FRIENDLY_NAME}`);
  }
  if (typeof task.description !== 'string' || task.description.trim() === '') {
    report('description', 'description is missing');
  }
  if (!task.version || !Number.isInteger(task.version.Major) || task.version.Major < 0) {
    report('version-major', `version.Major must be a non-negative integer, found ${JSON.stringify(task.version?.Major)}`);
  }

  checkHandlers(task, ctx, report);
  const inputNames = checkInputs(task, report);
  checkReferences(task, inputNames, report);
  checkOutputs(task, ctx, report);
  return problems;
}

function checkHandlers(task, ctx, report) {
  const execution = task.execution && typeof task.execution === 'object' ? task.execution : {};
  const handlers = Object.keys(execution);
  for (const required of REQUIRED_HANDLERS) {
    if (!handlers.includes(required)) report('handlers', `execution must have the ${required} handler (found: ${handlers.join(', ') || 'none'})`);
  }
  for (const extra of handlers.filter((h) => !REQUIRED_HANDLERS.includes(h))) {
    report('handlers', `execution has the ${extra} handler; only ${REQUIRED_HANDLERS.join(' and ')} are allowed (the bundle targets Node 20)`);
  }
  for (const handler of handlers) {
    const target = execution[handler]?.target;
    if (typeof target !== 'string' || target === '') {
      report('handler-target', `execution.${handler}.target is missing`);
    } else if (ctx.stagedDir && !fs.existsSync(path.join(ctx.stagedDir, target))) {
      report('handler-target', `execution.${handler}.target "${target}" does not exist in the packaged task folder`);
    }
  }
  const offered = handlers.filter((h) => h in HANDLER_MIN_AGENT);
  if (offered.length > 0) {
    const needed = offered.map((h) => HANDLER_MIN_AGENT[h]).sort(compareVersions)[0];
    const declared = task.minimumAgentVersion;
    let tooOld = true;
    try {
      tooOld = compareVersions(declared, needed) < 0;
    } catch {
      // not a version: reported below
    }
    if (tooOld) {
      report('minimum-agent-version', `minimumAgentVersion must be at least ${needed} (first agent with the ${offered.find((h) => HANDLER_MIN_AGENT[h] === needed)} handler), found ${JSON.stringify(declared)}`);
    }
  }
}

/** @returns {Set<string>} input names and aliases, lower-cased (the agent and YAML match them case-insensitively) */
function checkInputs(task, report) {
  const known = new Set();
  const inputs = Array.isArray(task.inputs) ? task.inputs : [];
  for (const input of inputs) {
    for (const name of [input?.name, ...(Array.isArray(input?.aliases) ? input.aliases : [])]) {
      if (typeof name !== 'string' || name === '') {
        report('input-names-unique', 'an input has no name');
        continue;
      }
      if (known.has(name.toLowerCase())) report('input-names-unique', `input name or alias "${name}" is used twice`);
      known.add(name.toLowerCase());
    }
    if (input?.type === 'boolean' && input.defaultValue !== undefined && input.defaultValue !== 'true' && input.defaultValue !== 'false') {
      report('boolean-default', `input "${input.name}" is boolean: defaultValue must be "true" or "false", found ${JSON.stringify(input.defaultValue)}`);
    }
  }
  return known;
}

function checkReferences(task, inputNames, report) {
  const groups = new Set();
  for (const group of Array.isArray(task.groups) ? task.groups : []) {
    if (groups.has(group?.name)) report('group-names-unique', `group "${group?.name}" is defined twice`);
    groups.add(group?.name);
  }
  const isInput = (name) => inputNames.has(String(name).toLowerCase());
  for (const input of Array.isArray(task.inputs) ? task.inputs : []) {
    if (input?.groupName !== undefined && !groups.has(input.groupName)) {
      report('group-exists', `input "${input.name}" is in group "${input.groupName}", which is not defined in groups`);
    }
    if (typeof input?.visibleRule === 'string') {
      for (const clause of input.visibleRule.split(/&&|\|\|/)) {
        const operand = VISIBLE_RULE_OPERAND.exec(clause)?.[1];
        if (!operand) report('visible-rule', `input "${input.name}" has a visibleRule clause that cannot be read: "${clause.trim()}"`);
        else if (!isInput(operand)) report('visible-rule', `input "${input.name}" has visibleRule "${input.visibleRule}": "${operand}" is not an input`);
      }
    }
  }
  for (const binding of Array.isArray(task.dataSourceBindings) ? task.dataSourceBindings : []) {
    if (!isInput(binding?.target)) report('data-source-binding', `dataSourceBindings target "${binding?.target}" is not an input`);
    for (const field of ['endpointId', 'endpointUrl']) {
      for (const [, ref] of String(binding?.[field] ?? '').matchAll(MACRO)) {
        if (!isInput(ref)) report('data-source-binding', `dataSourceBindings for "${binding?.target}": ${field} refers to $(${ref}), which is not an input`);
      }
    }
    for (const [key, value] of Object.entries(binding?.parameters ?? {})) {
      for (const [, ref] of String(value).matchAll(MACRO)) {
        if (!isInput(ref)) report('data-source-binding', `dataSourceBindings for "${binding?.target}": parameter ${key} refers to $(${ref}), which is not an input`);
      }
    }
  }
  if (typeof task.instanceNameFormat !== 'string' || task.instanceNameFormat.trim() === '') {
    report('instance-name-format', 'instanceNameFormat is missing');
  } else {
    for (const [, ref] of task.instanceNameFormat.matchAll(MACRO)) {
      if (!isInput(ref)) report('instance-name-format', `instanceNameFormat refers to $(${ref}), which is not an input`);
    }
  }
}

function checkOutputs(task, ctx, report) {
  const declared = new Set();
  for (const output of Array.isArray(task.outputVariables) ? task.outputVariables : []) {
    if (declared.has(output?.name)) report('output-variables', `output variable "${output?.name}" is declared twice`);
    declared.add(output?.name);
  }
  for (const { name, where } of ctx.outputsSetInCode ?? []) {
    if (!declared.has(name)) {
      report('output-variables', `${where} sets output variable "${name}", which outputVariables does not declare`);
    }
  }
}

/** Ids are unique across the extension's tasks. @param {{ task: any, file: string }[]} manifests */
export function checkTaskIdsUnique(manifests) {
  const seen = new Map();
  const problems = [];
  for (const { task, file } of manifests) {
    const id = String(task?.id ?? '').toLowerCase();
    if (!id) continue;
    if (seen.has(id)) problems.push(problem('id-unique', file, `id ${task.id} is also the id of ${seen.get(id)}`));
    else seen.set(id, file);
  }
  return problems;
}

/**
 * Published task ids from the "Task identifiers" table of docs/architecture.md (`| AzureMLTrain | <guid> |`).
 * @returns {Map<string,string>} empty when the file is absent
 */
export function readPublishedIds(markdownPath) {
  const ids = new Map();
  if (!fs.existsSync(markdownPath)) return ids;
  const row = /^\|\s*([A-Za-z0-9-]+)\s*\|\s*([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\s*\|/;
  for (const line of fs.readFileSync(markdownPath, 'utf8').split(/\r?\n/)) {
    const match = row.exec(line);
    if (match) ids.set(match[1], match[2]);
  }
  return ids;
}
