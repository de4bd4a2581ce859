// npm run build: `tsc -b` (type-checks every project), then one esbuild bundle per task staged in
// build/extension/tasks/<Task>/ with its task.json (version stamped, see lib/version.mjs), icon.png and lib.json,
// then the checks (task.json schema and project rules, bundle contents, vss-extension.json contributions).
// Exits non-zero with one line per problem when anything is wrong.
import { buildTasks, typeCheck } from './lib/build-tasks.mjs';
import { runCli } from './lib/problems.mjs';

await runCli(async () => {
  typeCheck();
  const tasks = await buildTasks();
  for (const t of tasks) console.log(`${t.name} ${t.version}: index.js ${(t.bundleBytes / 1024).toFixed(0)} KiB`);
  console.log(`Built ${tasks.length} task(s) into build/extension/tasks.`);
});
