// npm test (after the build): the whole suite, in two phases.
//   1. unit, L0 and packaging tests, which need no emulator and share nothing, in parallel worker processes;
//   2. emulator, black-box and contract tests, in one process and in this order: they share one emulator, whose
//      traffic the contract test validates at the end (see .mocharc.js).
// Both phases always run; the exit code is non-zero when either failed. `npx mocha` alone still runs everything in
// one process, in the same order.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mocha = require.resolve('mocha/bin/mocha.js');
const { SUITE_ORDER } = require(path.join(repoRoot, '.mocharc.js'));

const isolated = SUITE_ORDER.filter((pattern) => /\/(unit|l0|packaging)\//.test(pattern));
const shared = SUITE_ORDER.filter((pattern) => !isolated.includes(pattern));
const jobs = String(Math.min(4, Math.max(2, os.availableParallelism())));

function runMocha(args) {
  const result = spawnSync(process.execPath, [mocha, ...args], { cwd: repoRoot, stdio: 'inherit' });
  return result.status ?? 1;
}

const started = Date.now();
const first = runMocha(['--parallel', '--jobs', jobs, ...isolated]);
const second = runMocha(shared);
console.log(`\nnpm test: unit, L0 and packaging ${first === 0 ? 'passed' : 'FAILED'}; emulator, black-box and contract ${second === 0 ? 'passed' : 'FAILED'} (${Math.round((Date.now() - started) / 1000)} s).`);
process.exitCode = first === 0 && second === 0 ? 0 : 1;
