'use strict';
// Mocha configuration.
//
// `npx mocha` alone runs the whole suite in one process in this order: unit -> l0 -> packaging -> emulator ->
// blackbox -> contract. The contract test runs last because it checks the traffic the whole suite sent to the emulator.
// Mocha keeps the order of `spec` (files of one pattern in path order); a pattern that matches nothing only warns.
// `npm test` (scripts/test.mjs) runs the same files in two processes side by side: the files that use the shared
// emulator in this order (contract last), and the others (unit, l0 in parallel workers, then the rest), after the
// packaging tests (which stage build/extension again).
//
// Mocha adds the files named on its command line to `spec` instead of replacing it, so `npx mocha tests/dist/x.test.js`
// would run everything. When test files, globs, directories or --spec are named, this config leaves `spec` out and
// mocha runs just those (with the same hooks and timeout).
const fs = require('node:fs');

const SUITE_ORDER = [
  'tests/dist/unit/**/*.test.js',
  'tests/dist/l0/**/*.test.js',
  'tests/dist/packaging/**/*.test.js',
  'tests/dist/emulator/**/*.test.js',
  'tests/dist/blackbox/**/*.test.js',
  'tests/dist/contract/**/*.test.js',
];

function isDirectory(arg) {
  try {
    return fs.statSync(arg).isDirectory();
  } catch {
    return false;
  }
}

const namesTests = process.argv
  .slice(2)
  .some((arg) => arg === '--spec' || arg.startsWith('--spec=') || (!arg.startsWith('-') && (/\.test\.[cm]?js$/.test(arg) || arg.includes('*') || isDirectory(arg))));

module.exports = {
  SUITE_ORDER,
  ...(namesTests ? {} : { spec: SUITE_ORDER }),
  require: ['tests/dist/support/hooks.js'],
  timeout: 60000,
};
