// npm run bench (after the build): measures what a user of the extension pays for, against goals, prints a table
// and exits non-zero when a goal is missed. Add a benchmark by appending to `benchmarks`: an async function that
// returns rows { measure, value, goal, ok }.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { extensionVersion } from './lib/build-tasks.mjs';
import { packageExtension } from './lib/package-extension.mjs';
import { stagedTasksRoot } from './lib/paths.mjs';
import { runCli } from './lib/problems.mjs';

const MB = 1000 * 1000;
/** The Marketplace package a user installs. */
const VSIX_GOAL_BYTES = 3 * MB;
/** Six tasks share the package goal: each bundle, compressed as in the .vsix, gets a sixth of it. */
const BUNDLE_COMPRESSED_GOAL_BYTES = VSIX_GOAL_BYTES / 6;
/** From `node index.js` to the task's first decision (here: the missing-input failure), median of several runs. */
const STARTUP_GOAL_MS = 1000;
const STARTUP_RUNS = 5;

const kb = (bytes) => `${(bytes / 1000).toFixed(0)} kB`;

async function vsixSize() {
  const { bytes } = await packageExtension({ version: extensionVersion(), log: () => undefined });
  return [{ measure: '.vsix size', value: kb(bytes), goal: `<= ${kb(VSIX_GOAL_BYTES)}`, ok: bytes <= VSIX_GOAL_BYTES }];
}

function taskNames() {
  return fs.readdirSync(stagedTasksRoot).filter((name) => fs.existsSync(path.join(stagedTasksRoot, name, 'index.js'))).sort();
}

async function bundleSizes() {
  return taskNames().map((name) => {
    const code = fs.readFileSync(path.join(stagedTasksRoot, name, 'index.js'));
    const compressed = zlib.deflateRawSync(code, { level: 9 }).length;
    return {
      measure: `${name} index.js (compressed)`,
      value: `${kb(code.length)} (${kb(compressed)})`,
      goal: `compressed <= ${kb(BUNDLE_COMPRESSED_GOAL_BYTES)}`,
      ok: compressed <= BUNDLE_COMPRESSED_GOAL_BYTES,
    };
  });
}

/** Wall time of one `node index.js` run without inputs (the task loads, then fails on its first required input). */
function timeOneStart(taskDir) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, ['index.js'], { cwd: taskDir, env: { PATH: process.env.PATH ?? '' }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
  });
}

async function startupTimes() {
  const rows = [];
  for (const name of taskNames()) {
    const taskDir = path.join(stagedTasksRoot, name);
    await timeOneStart(taskDir); // warm the file cache
    const times = [];
    for (let i = 0; i < STARTUP_RUNS; i++) times.push(await timeOneStart(taskDir));
    const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
    rows.push({ measure: `${name} start-up (median of ${STARTUP_RUNS})`, value: `${median.toFixed(0)} ms`, goal: `<= ${STARTUP_GOAL_MS} ms`, ok: median <= STARTUP_GOAL_MS });
  }
  return rows;
}

const benchmarks = [vsixSize, bundleSizes, startupTimes];

function printTable(rows) {
  const header = { measure: 'measure', value: 'value', goal: 'goal', ok: 'result' };
  const cells = [header, ...rows.map((r) => ({ ...r, ok: r.ok ? 'ok' : 'MISSED' }))];
  const width = (key) => Math.max(...cells.map((c) => String(c[key]).length));
  const widths = { measure: width('measure'), value: width('value'), goal: width('goal') };
  for (const c of cells) {
    console.log(`${String(c.measure).padEnd(widths.measure)}  ${String(c.value).padStart(widths.value)}  ${String(c.goal).padEnd(widths.goal)}  ${c.ok}`);
  }
}

await runCli(async () => {
  if (!fs.existsSync(stagedTasksRoot)) throw new Error('build/extension/tasks is missing: run `npm run bench` (it builds first)');
  const rows = [];
  for (const benchmark of benchmarks) rows.push(...(await benchmark()));
  printTable(rows);
  const missed = rows.filter((r) => !r.ok);
  if (missed.length > 0) {
    console.error(`${missed.length} goal(s) missed: ${missed.map((r) => r.measure).join(', ')}`);
    process.exitCode = 1;
  }
});
