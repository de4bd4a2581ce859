// Task folders: tasks/<Task>/ with a task.json. A folder without task.json (e.g. only an icon drawn ahead of the
// task) is not a task yet and is skipped.
import fs from 'node:fs';
import path from 'node:path';
import { tasksRoot } from './paths.mjs';

/**
 * @typedef {{ name: string, dir: string, taskJsonPath: string, entryPoint: string, iconPath: string }} TaskFolder
 */

/** @returns {TaskFolder[]} sorted by name */
export function discoverTasks(root = tasksRoot) {
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(root, entry.name, 'task.json')))
    .map((entry) => {
      const dir = path.join(root, entry.name);
      return {
        name: entry.name,
        dir,
        taskJsonPath: path.join(dir, 'task.json'),
        entryPoint: path.join(dir, 'src', 'index.ts'),
        iconPath: path.join(dir, 'icon.png'),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
