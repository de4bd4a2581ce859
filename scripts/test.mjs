// npm test (after the build): the whole suite. First the packaging tests, alone: they stage build/extension again,
// which the black-box tests run tasks from. Then two mocha processes side by side:
//   shared:  every test file that uses the shared emulator, in one process and in the order of .mocharc.js, the
//            contract test last: it validates the traffic that one emulator answered for the whole suite.
//   others:  unit and L0 tests (no emulator) in parallel workers, then the emulator and black-box files that start
//            emulators of their own, one after another.
// The shared process prints as it goes; the other's output is printed in one block when both are done. The exit code
// is non-zero when either failed. `npx mocha` alone still runs everything in one process, in the same order.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const mocha = require.resolve('mocha/bin/mocha.js');
const { SUITE_ORDER } = require(path.join(repoRoot, '.mocharc.js'));

/** The files of a `tests/dist/<folder>/**\/*.test.js` pattern, in path order (as mocha orders them). */
function filesOf(pattern) {
  const folder = path.join(repoRoot, pattern.slice(0, pattern.indexOf('/**')));
  if (!fs.existsSync(folder)) return [];
  return fs
    .readdirSync(folder, { recursive: true })
    .filter((name) => name.endsWith('.test.js'))
    .map((name) => path.relative(repoRoot, path.join(folder, name)))
    .sort();
}

const packagingPatterns = SUITE_ORDER.filter((pattern) => /\/packaging\//.test(pattern));
const isolatedPatterns = SUITE_ORDER.filter((pattern) => /\/(unit|l0)\//.test(pattern));
const emulatorFiles = SUITE_ORDER.filter((pattern) => !isolatedPatterns.includes(pattern) && !packagingPatterns.includes(pattern)).flatMap(filesOf);
const usesSharedEmulator = (file) => /\bsharedEmulator\)?\(/.test(fs.readFileSync(path.join(repoRoot, file), 'utf8'));
const sharedFiles = emulatorFiles.filter(usesSharedEmulator);
const ownEmulatorFiles = emulatorFiles.filter((file) => !usesSharedEmulator(file));
const jobs = String(Math.min(4, Math.max(2, os.availableParallelism())));

function runMocha(args, { live }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [mocha, ...args], { cwd: repoRoot, stdio: ['ignore', live ? 'inherit' : 'pipe', live ? 'inherit' : 'pipe'] });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function others() {
  const isolated = await runMocha(['--parallel', '--jobs', jobs, ...isolatedPatterns], { live: false });
  const own = ownEmulatorFiles.length > 0 ? await runMocha(ownEmulatorFiles, { live: false }) : { code: 0, output: '' };
  return { code: isolated.code || own.code, output: `${isolated.output}${own.output}` };
}

const started = Date.now();
const packaging = await runMocha(packagingPatterns, { live: true });
const [shared, rest] = await Promise.all([runMocha(sharedFiles, { live: true }), others()]);
console.log(`\n${'='.repeat(100)}\nUnit and L0 tests (parallel workers), then the tests with emulators of their own:\n${'='.repeat(100)}`);
process.stdout.write(rest.output);
const verdict = (code) => (code === 0 ? 'passed' : 'FAILED');
console.log(
  `\nnpm test: packaging ${verdict(packaging.code)}; tests on the shared emulator (and the contract) ${verdict(shared.code)}; ` +
    `unit, L0 and own-emulator tests ${verdict(rest.code)} (${Math.round((Date.now() - started) / 1000)} s).`,
);
process.exitCode = packaging.code === 0 && shared.code === 0 && rest.code === 0 ? 0 : 1;
