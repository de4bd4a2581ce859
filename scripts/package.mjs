// npm run package [-- --dev]: build, then package build/extension/ into build/<publisher>.<id>-<version>.vsix with
// tfx (offline). --dev applies configs/dev.json (a private test extension: other id and publisher, "(dev)" name) and
// gives its tasks other ids so it can be installed next to the public extension. Any tfx warning fails packaging.
// --skip-typecheck skips `tsc -b` (the bundles and all checks still run).
import { buildTasks, extensionVersion, typeCheck } from './lib/build-tasks.mjs';
import { packageExtension } from './lib/package-extension.mjs';
import { rel } from './lib/paths.mjs';
import { runCli } from './lib/problems.mjs';

await runCli(async () => {
  const dev = process.argv.includes('--dev');
  // --skip-typecheck: bundle and check only (tests use it after `npm test` has type-checked everything).
  if (!process.argv.includes('--skip-typecheck')) typeCheck();
  await buildTasks();
  const { vsixPath, bytes } = await packageExtension({ dev, version: extensionVersion() });
  console.log(`Packaged ${rel(vsixPath)} (${(bytes / 1024).toFixed(0)} KiB)${dev ? ' [dev]' : ''}.`);
});
