// A build check that fails names the rule, the file to fix and what is wrong, on one line.

/**
 * @typedef {{ rule: string, file: string, message: string }} Problem
 */

/** @returns {Problem} */
export function problem(rule, file, message) {
  return { rule, file, message };
}

/** @param {Problem} p */
export function formatProblem(p) {
  return `${p.file}: [${p.rule}] ${p.message}`;
}

/** Thrown by the build and packaging steps; the CLI prints `message` (already one line per problem) and exits 1. */
export class BuildFailure extends Error {
  /** @param {string} summary @param {Problem[]} [problems] */
  constructor(summary, problems = []) {
    super([...problems.map(formatProblem), summary].join('\n'));
    this.name = 'BuildFailure';
    this.summary = summary;
    this.problems = problems;
  }
}

/** Runs a CLI entry point: a BuildFailure prints its message only (no stack), anything else is a bug and keeps its stack. */
export async function runCli(main) {
  try {
    await main();
  } catch (err) {
    if (err instanceof BuildFailure) {
      console.error(err.message);
    } else {
      console.error(err);
    }
    process.exitCode = 1;
  }
}
