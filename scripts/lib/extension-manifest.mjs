// vss-extension.json: checks, and the copy that gets staged (version from package.json).
import { problem } from './problems.mjs';

export const TASK_CONTRIBUTION_TYPE = 'ms.vss-distributed-task.task';
export const TASK_CONTRIBUTION_TARGET = 'ms.vss-distributed-task.tasks';

/**
 * The manifest contributes exactly one task per task folder, each pointing at `tasks/<Task>`.
 * @param {any} manifest @param {string[]} taskNames @param {string} file shown in messages
 */
export function checkExtensionManifest(manifest, taskNames, file) {
  const problems = [];
  const report = (rule, message) => problems.push(problem(rule, file, message));
  const contributions = Array.isArray(manifest?.contributions) ? manifest.contributions : [];
  const taskContributions = contributions.filter((c) => c?.type === TASK_CONTRIBUTION_TYPE);
  const contributed = new Map();
  const ids = new Set();
  for (const c of contributions) {
    if (ids.has(c?.id)) report('contributions', `contribution id "${c?.id}" is used twice`);
    ids.add(c?.id);
  }
  for (const c of taskContributions) {
    const folder = /^tasks\/([^/]+)\/?$/.exec(String(c?.properties?.name ?? ''))?.[1];
    if (!folder) {
      report('contributions', `contribution "${c?.id}": properties.name must be "tasks/<Task>", found ${JSON.stringify(c?.properties?.name)}`);
      continue;
    }
    if (contributed.has(folder)) report('contributions', `tasks/${folder} is contributed twice`);
    contributed.set(folder, c);
    if (!Array.isArray(c.targets) || !c.targets.includes(TASK_CONTRIBUTION_TARGET)) {
      report('contributions', `contribution "${c.id}" must target ${TASK_CONTRIBUTION_TARGET}`);
    }
  }
  for (const name of taskNames) {
    if (!contributed.has(name)) report('contributions', `tasks/${name} has no contribution: add { "id": "${contributionIdFor(name)}", "type": "${TASK_CONTRIBUTION_TYPE}", "targets": ["${TASK_CONTRIBUTION_TARGET}"], "properties": { "name": "tasks/${name}" } }`);
  }
  for (const folder of contributed.keys()) {
    if (!taskNames.includes(folder)) report('contributions', `a contribution points at tasks/${folder}, which is not a task folder (no tasks/${folder}/task.json)`);
  }
  const files = Array.isArray(manifest?.files) ? manifest.files : [];
  if (taskNames.length > 0 && !files.some((f) => f?.path === 'tasks')) {
    report('files', 'files must include { "path": "tasks" } so the task folders are packaged');
  }
  if ('version' in (manifest ?? {})) {
    report('version', 'version must not be set here: the staged manifest gets the root package.json version');
  }
  return problems;
}

/** AzureMLTrain -> azureml-train-task */
export function contributionIdFor(taskName) {
  return `${taskName.replace(/^AzureML/, 'azureml-').replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}-task`;
}

/** The manifest as staged: same content plus the extension version. */
export function stageManifest(manifest, version) {
  return { ...manifest, version };
}
